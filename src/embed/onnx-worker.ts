/**
 * The worker side of {@link OnnxWorkerPool}: one ONNX Runtime session in a worker thread, so
 * inference (which holds the thread it runs on) never blocks the main thread's event loop.
 * @module embed/onnx-worker
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf, MilvusRagError } from '../errors.js';
import { OnnxEmbedder, type OnnxEmbedderOptions } from './onnx-embedder.js';

/** What the pool asks of a worker. */
export type WorkerRequest = { type: 'embed'; id: number; texts: string[] } | { type: 'close' };

/** What a worker answers. */
export type WorkerReply =
  | { type: 'ready'; modelId: string; dimension: number; maxLength: number; maxBatchSize: number }
  | { type: 'failed'; code: string; message: string }
  | { type: 'vectors'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; code: string; message: string };

const port = parentPort;
if (port === null) throw new Error('onnx-worker runs as a worker thread');

const codeOf = (error: unknown) => (error instanceof MilvusRagError ? error.code : 'embed.run');
let embedder: OnnxEmbedder;
try {
  embedder = await OnnxEmbedder.create(workerData as OnnxEmbedderOptions);
  port.postMessage({
    type: 'ready',
    modelId: embedder.modelId,
    dimension: embedder.dimension,
    maxLength: embedder.maxLength,
    maxBatchSize: embedder.maxBatchSize,
  } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ type: 'failed', code: codeOf(error), message: messageOf(error) } satisfies WorkerReply);
  port.close();
  process.exit(0);
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'close') {
    void embedder.close().finally(() => port.close());
    return;
  }
  embedder.encodeDocuments(request.texts).then(
    (vectors) => {
      // The vectors' memory moves to the main thread instead of being copied.
      port.postMessage(
        { type: 'vectors', id: request.id, vectors } satisfies WorkerReply,
        vectors.map((vector) => vector.buffer as ArrayBuffer),
      );
    },
    (error: unknown) =>
      port.postMessage({ type: 'error', id: request.id, code: codeOf(error), message: messageOf(error) } satisfies WorkerReply),
  );
});
