/**
 * The worker side of {@link DocumentParserPool}: format readers (PDF layout, unzipping Office
 * files, HTML to Markdown) run here, so a large file never blocks a server's event loop.
 * @module load/parse-worker
 */
import { parentPort } from 'node:worker_threads';
import { LoadError, messageOf } from '../errors.js';
import { parseDocumentBytes, type ParsedDocument } from './parse-document.js';

/** What the pool asks of a worker. */
export type ParseRequest = { type: 'parse'; id: number; bytes: Uint8Array; location: string; source: string };

/** What a worker answers: the document, or the reader's error (a LoadError keeps its code). */
export type ParseReply =
  { type: 'parsed'; id: number; document: ParsedDocument } | { type: 'error'; id: number; code: string | undefined; message: string };

const port = parentPort;
if (port === null) throw new Error('parse-worker runs as a worker thread');

port.on('message', (request: ParseRequest) => {
  parseDocumentBytes(request.bytes, request.location, request.source).then(
    (document) => port.postMessage({ type: 'parsed', id: request.id, document } satisfies ParseReply),
    (error: unknown) =>
      port.postMessage({
        type: 'error',
        id: request.id,
        code: error instanceof LoadError ? error.code : undefined,
        message: messageOf(error),
      } satisfies ParseReply),
  );
});
