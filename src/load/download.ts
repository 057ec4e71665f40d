import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LoadError, messageOf, redactUrl } from '../errors.js';

/** True for `http://` and `https://` inputs. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/**
 * Streams a URL to a file in a new temporary folder, so a large archive is never held in memory.
 * Errors name the URL without credentials or query string (which often carry tokens).
 */
export async function downloadToTempFile(
  url: string,
  options: { signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<{ file: string; remove: () => Promise<void> }> {
  const shown = redactUrl(url);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-download-'));
  const remove = () => rm(folder, { recursive: true, force: true });
  const name = path.posix.basename(new URL(url).pathname) || 'download';
  const file = path.join(folder, name.replace(/[^\w.-]/g, '_'));
  try {
    const response = await (options.fetch ?? fetch)(url, options.signal ? { signal: options.signal } : {});
    if (!response.ok || !response.body) {
      throw new LoadError('load.download', `cannot download ${shown}: HTTP ${response.status} ${response.statusText}`.trim(), {
        context: { file: shown },
      });
    }
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(file));
    return { file, remove };
  } catch (error) {
    await remove();
    if (error instanceof LoadError) throw error;
    throw new LoadError('load.download', `cannot download ${shown}: ${messageOf(error)}`, { cause: error, context: { file: shown } });
  }
}
