/**
 * milvus-rag's embedding time over the floor: ONNX Runtime's own inference time on the same
 * chunks. The floor runs the same model file in a session made the same way, on batches padded
 * the same way, tokenized beforehand and untimed: it is `session.run` alone. milvus-rag is
 * `OnnxEmbedder.encodeDocuments`: tokenizing, batching, inference, pooling and normalising.
 * Rounds are interleaved (floor, milvus-rag, floor, ...) and medians compared. Goal: <= 1.25x.
 *
 *   npm run bench:embed                       # the first 1,000 markdown chunks of the docs tree
 *   npm run bench:embed -- --chunks 4000 --rounds 5
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createOnnxEmbedder } from '../src/embed/index.js';
import { loadDocuments } from '../src/load/load-documents.js';
import { MarkdownSplitter } from '../src/split/markdown-splitter.js';
import { splitDocument } from '../src/split/split-document.js';
import { DOCS_DIR, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '8' },
    'model-path': { type: 'string', default: TEST_MODEL_PATH },
  },
});
const rounds = Number(values.rounds);
const batchSize = Number(values['batch-size']);

const embedder = await createOnnxEmbedder({ modelPath: values['model-path'], batchSize });
const splitter = new MarkdownSplitter({
  chunkSize: Math.min(256, embedder.maxLength ?? 256),
  chunkOverlap: 32,
  countTokens: (text) => embedder.countTokens(text),
});
const texts: string[] = [];
for (const document of await loadDocuments(DOCS_DIR)) {
  for (const chunk of splitDocument(splitter, document)) texts.push(chunk.text);
  if (texts.length >= Number(values.chunks)) break;
}
texts.splice(Number(values.chunks));

// The floor's input: the same tokens, sorted by length into the same batches, as tensors.
const session = await ort.InferenceSession.create(path.join(values['model-path'], 'model.onnx'), { graphOptimizationLevel: 'all' });
const encoded = texts.map((text) => embedder.tokenize(text)).sort((a, b) => a.ids.length - b.ids.length);
const batches: Array<Record<string, ort.Tensor>> = [];
for (let start = 0; start < encoded.length; start += batchSize) {
  const batch = encoded.slice(start, start + batchSize);
  const columns = Math.max(...batch.map((item) => item.ids.length));
  const ids = new BigInt64Array(batch.length * columns);
  const mask = new BigInt64Array(batch.length * columns);
  const types = new BigInt64Array(batch.length * columns);
  batch.forEach((item, row) => {
    item.ids.forEach((id, column) => {
      ids[row * columns + column] = BigInt(id);
      mask[row * columns + column] = 1n;
    });
  });
  const shape = [batch.length, columns];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, shape),
    attention_mask: new ort.Tensor('int64', mask, shape),
  };
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', types, shape);
  batches.push(feeds);
}

const floor: number[] = [];
const ours: number[] = [];
for (let round = 0; round <= rounds; round += 1) {
  let started = performance.now();
  for (const feeds of batches) await session.run(feeds);
  const floorMs = performance.now() - started;
  started = performance.now();
  await embedder.encodeDocuments(texts);
  const oursMs = performance.now() - started;
  if (round === 0) continue; // warm-up
  floor.push(floorMs);
  ours.push(oursMs);
}
await session.release();
await embedder.close();

const tokens = encoded.reduce((sum, item) => sum + item.ids.length, 0);
process.stdout.write(
  `\nEmbedding ${texts.length} markdown chunks of the docs tree (${tokens} tokens), ${path.basename(values['model-path'])}, batch ${batchSize}, ` +
    `onnxruntime-node ${ort.env.versions.common}, ${os.availableParallelism()} cores, Node ${process.version}; medians of ${rounds} interleaved rounds after a warm-up\n\n`,
);
printTable(
  ['', 'ms (p50)', 'chunks/s', 'vs floor'],
  [
    ['ONNX Runtime session.run alone (floor)', median(floor).toFixed(0), ((texts.length * 1000) / median(floor)).toFixed(1), '1.00x'],
    [
      'milvus-rag OnnxEmbedder.encodeDocuments',
      median(ours).toFixed(0),
      ((texts.length * 1000) / median(ours)).toFixed(1),
      `${(median(ours) / median(floor)).toFixed(2)}x`,
    ],
  ],
);
