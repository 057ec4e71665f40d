import { createWriteStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LoadError, messageOf, redactUrl } from '../errors.js';

/** True for `http://` and `https://` inputs. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** Largest download by default: 1 GiB. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 1024 ** 3;
/** Longest download by default: 10 minutes. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** Temporary folders of downloads in progress or in use, removed when the process exits. */
const liveFolders = new Set<string>();
let exitHookInstalled = false;

function track(folder: string): void {
  liveFolders.add(folder);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever ends the process (an error, process.exit, Ctrl-C through the CLI's handler) leaves no temp folder behind.
  process.once('exit', () => {
    for (const live of liveFolders) rmSync(live, { recursive: true, force: true });
  });
}

/** Options of {@link downloadToTempFile}. */
export interface DownloadOptions {
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Refuse larger downloads (by Content-Length, or while streaming). Default: 1 GiB. */
  maxBytes?: number;
  /** Give up after this long, headers and body together. Default: 10 minutes. */
  timeoutMs?: number;
}

/**
 * Streams a URL to a file in a new temporary folder, so a large archive is never held in memory.
 * Bounded in size and time; the folder is removed on failure, by `remove()`, and at the latest
 * when the process exits. Errors name the URL without credentials or query string (which often
 * carry tokens).
 */
export async function downloadToTempFile(
  url: string,
  options: DownloadOptions = {},
): Promise<{ file: string; remove: () => Promise<void> }> {
  const shown = redactUrl(url);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const folder = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-download-'));
  track(folder);
  const remove = async () => {
    await rm(folder, { recursive: true, force: true });
    liveFolders.delete(folder);
  };
  const name = path.posix.basename(new URL(url).pathname) || 'download';
  const file = path.join(folder, name.replace(/[^\w.-]/g, '_'));
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const tooLarge = () =>
    new LoadError('load.download-too-large', `cannot download ${shown}: larger than the ${maxBytes}-byte limit`, {
      context: { file: shown },
    });
  try {
    const response = await (options.fetch ?? fetch)(url, { signal });
    if (!response.ok || !response.body) {
      throw new LoadError('load.download', `cannot download ${shown}: HTTP ${response.status} ${response.statusText}`.trim(), {
        context: { file: shown },
      });
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge();
    }
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(received > maxBytes ? tooLarge() : null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), counter, createWriteStream(file), { signal });
    return { file, remove };
  } catch (error) {
    await remove();
    if (error instanceof LoadError) throw error;
    if (timeout.aborted && !options.signal?.aborted) {
      throw new LoadError('load.download-timeout', `cannot download ${shown}: no complete answer within ${timeoutMs} ms`, {
        cause: error,
        context: { file: shown },
      });
    }
    throw new LoadError('load.download', `cannot download ${shown}: ${messageOf(error)}`, { cause: error, context: { file: shown } });
  }
}
