import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { TEST_MODEL_PATH } from '../../test/helpers/paths.js';
import { tempDir } from '../../test/helpers/temp.js';
import { EmbeddingError } from '../errors.js';
import { OnnxEmbedder } from './onnx-embedder.js';

interface ReferenceEmbeddings {
  texts: string[];
  embeddings: number[][];
  max_seq_length: number;
}

// Written by python/export_minilm_onnx.py: sentence-transformers' own embeddings (PyTorch).
const reference = JSON.parse(await readFile(path.join(TEST_MODEL_PATH, 'reference-embeddings.json'), 'utf8')) as ReferenceEmbeddings;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let index = 0; index < a.length; index++) dot += a[index]! * b[index]!;
  return dot;
}

describe('OnnxEmbedder (real all-MiniLM-L6-v2 ONNX model on the CPU)', () => {
  test('matches sentence-transformers (PyTorch) element by element: same pooling, normalisation and truncation', async () => {
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH });
    try {
      assert.equal(embedder.dimension, 384);
      assert.equal(embedder.maxLength, reference.max_seq_length);
      const vectors = await embedder.encodeDocuments(reference.texts);
      reference.embeddings.forEach((expected, row) => {
        const got = vectors[row]!;
        assert.equal(got.length, expected.length);
        let worst = 0;
        for (let dim = 0; dim < expected.length; dim++) worst = Math.max(worst, Math.abs(got[dim]! - expected[dim]!));
        assert.ok(worst < 1e-5, `text ${row} (${JSON.stringify(reference.texts[row]).slice(0, 40)}) differs by ${worst}`);
      });
    } finally {
      await embedder.close();
    }
  });

  test('returns unit vectors in input order whatever the batch size', async () => {
    const texts = ['short', 'a much longer text about where Milvus stores its data on disk and in object storage', 'mid length text'];
    const one = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, batchSize: 1 });
    const many = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, batchSize: 32 });
    try {
      const [a, b] = [await one.encodeDocuments(texts), await many.encodeDocuments(texts)];
      texts.forEach((_, index) => {
        assert.ok(Math.abs(cosine(a[index]!, a[index]!) - 1) < 1e-5, 'unit length');
        assert.ok(cosine(a[index]!, b[index]!) > 0.99999, `text ${index} is the same in both batchings`);
      });
      assert.ok(cosine(a[0]!, b[1]!) < 0.9, 'different texts stay different (order is kept)');
      const [query] = await one.encodeQueries(['short']);
      assert.ok(cosine(query!, a[0]!) > 0.99999, 'queries and documents share the model');
    } finally {
      await Promise.all([one.close(), many.close()]);
    }
  });

  test('repeated texts get equal vectors in their places, each in its own array', async () => {
    const texts = ['Output', 'where does Milvus store data?', 'Output', '{', 'Output'];
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, batchSize: 2 });
    try {
      const vectors = await embedder.encodeDocuments(texts);
      const [alone] = await embedder.encodeDocuments(['{']);
      assert.equal(vectors.length, texts.length);
      assert.deepEqual([...vectors[0]!], [...vectors[2]!]);
      assert.deepEqual([...vectors[0]!], [...vectors[4]!]);
      assert.deepEqual([...vectors[3]!], [...alone!]);
      assert.ok(cosine(vectors[0]!, vectors[1]!) < 0.9, 'different texts stay different');
      vectors[0]![0] = 42;
      assert.notEqual(vectors[2]![0], 42, 'a caller may change one vector without changing its twins');
    } finally {
      await embedder.close();
    }
  });

  test('truncates the text, not the special tokens, at maxLength', async () => {
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, maxLength: 16 });
    try {
      const long = embedder.tokenize('word '.repeat(100));
      const full = embedder.tokenize('word');
      assert.equal(long.ids.length, 16);
      assert.equal(long.ids[0], full.ids[0], 'starts with [CLS]');
      assert.equal(long.ids.at(-1), full.ids.at(-1), 'ends with [SEP]');
    } finally {
      await embedder.close();
    }
  });

  test('the int8 file embeds close to fp32 and under its own model id', async () => {
    const quantized = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, modelFile: 'model_quantized.onnx' });
    try {
      assert.equal(quantized.modelId, 'all-MiniLM-L6-v2:model_quantized');
      assert.equal(quantized.dimension, 384);
      const vectors = await quantized.encodeDocuments(reference.texts);
      vectors.forEach((vector, index) => {
        assert.ok(Math.abs(cosine(vector, vector) - 1) < 1e-4, 'unit length');
        // int8 weights move each vector: per-channel int8 MatMuls (python/quantize_onnx.py) gave
        // cosines >= 0.99 to fp32 on SciFact abstracts (bench:embed), 0.975 on the empty text
        // here (no words, only [CLS] [SEP]); per-tensor int8 gave 0.89-0.97.
        const similarity = cosine(vector, reference.embeddings[index]!);
        const floor = reference.texts[index] === '' ? 0.96 : 0.985;
        assert.ok(similarity > floor, `text ${index}: cosine ${similarity.toFixed(4)} to the fp32 (PyTorch) vector`);
      });
      await assert.rejects(
        OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, modelFile: 'model_fp16.onnx' }),
        /no model_fp16\.onnx in .*all-MiniLM-L6-v2/,
      );
    } finally {
      await quantized.close();
    }
  });

  test('a folder without a model fails with an EmbeddingError naming the folder', async () => {
    const folder = await tempDir();
    await assert.rejects(OnnxEmbedder.create({ modelPath: folder }), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.equal(error.code, 'embed.missing-model');
      assert.ok(error.message.includes(folder));
      return true;
    });
  });

  test('a model of another dimension than expected fails with an EmbeddingError naming both and the folder', async () => {
    await assert.rejects(OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, expectedDimension: 768 }), (error: unknown) => {
      assert.ok(error instanceof EmbeddingError);
      assert.equal(error.code, 'embed.dimension');
      assert.match(error.message, /gives 384 dimensions, but all-MiniLM-L6-v2 gives 768/);
      assert.ok(error.message.includes(TEST_MODEL_PATH));
      return true;
    });
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, expectedDimension: 384 });
    assert.equal(embedder.dimension, 384);
    await embedder.close();
  });

  test('stops between batches when aborted', async () => {
    const embedder = await OnnxEmbedder.create({ modelPath: TEST_MODEL_PATH, batchSize: 1 });
    try {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await assert.rejects(embedder.encodeDocuments(['a', 'b'], { signal: controller.signal }), /stop/);
    } finally {
      await embedder.close();
    }
  });
});
