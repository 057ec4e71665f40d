import { LoadError } from '../errors.js';

/**
 * Decodes a text document strictly. Each kind of bad input is a {@link LoadError} naming the file:
 * empty, binary (NUL bytes) or invalid UTF-8 (never silently replaced).
 */
export function decodeText(bytes: Uint8Array, location: string): string {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) {
    throw new LoadError('load.binary', `${location} looks binary (it contains NUL bytes), not text`, { context: { file: location } });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new LoadError('load.invalid-utf8', `${location} is not valid UTF-8 text`, { cause: error, context: { file: location } });
  }
  if (text.trim() === '') throw new LoadError('load.empty-file', `${location} is empty`, { context: { file: location } });
  return text;
}
