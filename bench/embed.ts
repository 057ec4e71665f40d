/**
 * Local embedding speed and fidelity: milvus-rag's ONNX paths beside sentence-transformers
 * (PyTorch fp32, the reference) and PyTorch bf16 autocast, on the same texts, batch size and CPU.
 *
 * Rounds are interleaved (milvus-rag default, PyTorch fp32, milvus-rag int8, PyTorch bf16,
 * ONNX Runtime floor, then again) so that every path sees the same machine state; medians are
 * compared. Fidelity is the cosine of each path's vectors to sentence-transformers fp32 vectors of
 * the same texts. A faster path counts only at a minimum cosine >= 0.999 (issue 15).
 *
 *   npm run bench:embed                          # the first 256 SciFact abstracts, 3 rounds
 *   npm run bench:embed -- --texts docs --count 1000 --rounds 5
 *   npm run bench:embed -- --no-bf16             # skip PyTorch bf16 (slow where the CPU emulates it)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { createOnnxEmbedder } from '../src/embed/index.js';
import type { OnnxEmbedder } from '../src/embed/onnx-embedder.js';
import { loadDocuments } from '../src/load/load-documents.js';
import { MarkdownSplitter } from '../src/split/markdown-splitter.js';
import { splitDocument } from '../src/split/split-document.js';
import { DOCS_DIR, ROOT, SHARED, TEST_MODEL_PATH, VENV_PYTHON } from '../test/helpers/paths.js';
import { median, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    texts: { type: 'string', default: 'scifact' },
    count: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '8' },
    'no-bf16': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const batchSize = Number(values['batch-size']);
const count = Number(values.count);
const FIDELITY_BAR = 0.999;

async function benchTexts(): Promise<string[]> {
  if (values.texts === 'scifact') {
    const lines = readFileSync(path.join(SHARED, 'data', 'beir', 'scifact', 'corpus.jsonl'), 'utf8').split('\n');
    return lines
      .filter((line) => line.trim() !== '')
      .slice(0, count)
      .map((line) => {
        const record = JSON.parse(line) as { title: string; text: string };
        return `${record.title} ${record.text}`.trim();
      });
  }
  const probe = await createOnnxEmbedder({ modelPath: TEST_MODEL_PATH });
  const splitter = new MarkdownSplitter({ chunkSize: 256, chunkOverlap: 32, countTokens: (text) => probe.countTokens(text) });
  const texts: string[] = [];
  for (const document of await loadDocuments(DOCS_DIR)) {
    for (const chunk of splitDocument(splitter, document)) texts.push(chunk.text);
    if (texts.length >= count) break;
  }
  await probe.close();
  return texts.slice(0, count);
}

/** The sentence-transformers side: python/embed_reference.py, one long-lived process. */
class PythonReference {
  readonly #child;
  readonly #lines: AsyncIterator<string>;
  private constructor(textsFile: string) {
    this.#child = spawn(VENV_PYTHON, [path.join(ROOT, 'python', 'embed_reference.py'), textsFile, '--batch-size', String(batchSize)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  static async start(textsFile: string): Promise<{ reference: PythonReference; info: { torch: string; threads: number } }> {
    const reference = new PythonReference(textsFile);
    const info = (await reference.#next()) as { torch: string; threads: number };
    return { reference, info };
  }
  async #next(): Promise<Record<string, unknown>> {
    const line = await this.#lines.next();
    if (line.done === true) throw new Error('python/embed_reference.py exited early (see its error above)');
    return JSON.parse(line.value) as Record<string, unknown>;
  }
  async send(command: string): Promise<Record<string, unknown>> {
    this.#child.stdin.write(`${command}\n`);
    return this.#next();
  }
  close(): void {
    this.#child.stdin.end();
  }
}

function readVectors(buffer: Buffer, rows: number): Float32Array[] {
  const all = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  const width = all.length / rows;
  return Array.from({ length: rows }, (_, row) => all.slice(row * width, (row + 1) * width));
}

/** Minimum and mean cosine of unit vectors, row by row. */
function fidelity(vectors: readonly Float32Array[], reference: readonly Float32Array[]): { min: number; mean: number } {
  let min = 1;
  let sum = 0;
  vectors.forEach((vector, row) => {
    const expected = reference[row]!;
    let dot = 0;
    let norm = 0;
    let normExpected = 0;
    for (let dim = 0; dim < vector.length; dim++) {
      dot += vector[dim]! * expected[dim]!;
      norm += vector[dim]! * vector[dim]!;
      normExpected += expected[dim]! * expected[dim]!;
    }
    const cosine = dot / Math.sqrt(norm * normExpected);
    min = Math.min(min, cosine);
    sum += cosine;
  });
  return { min, mean: sum / vectors.length };
}

/** The floor: ONNX Runtime's session.run alone on the same tokens, batched the same way, tokenized beforehand. */
async function floorRunner(
  embedder: OnnxEmbedder,
  texts: readonly string[],
): Promise<{ run: () => Promise<void>; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(path.join(TEST_MODEL_PATH, 'model.onnx'), { graphOptimizationLevel: 'all' });
  const encoded = [...new Set(texts)].map((text) => embedder.tokenize(text)).sort((a, b) => a.ids.length - b.ids.length);
  const batches: Array<Record<string, ort.Tensor>> = [];
  for (let start = 0; start < encoded.length; start += batchSize) {
    const batch = encoded.slice(start, start + batchSize);
    const columns = Math.max(...batch.map((item) => item.ids.length));
    const ids = new BigInt64Array(batch.length * columns);
    const mask = new BigInt64Array(batch.length * columns);
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
    if (session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch.length * columns), shape);
    batches.push(feeds);
  }
  return {
    run: async () => {
      for (const feeds of batches) await session.run(feeds);
    },
    close: () => session.release(),
  };
}

function cpuFeatures(): string {
  let flags: string[] = [];
  try {
    flags = (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/);
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
  const wanted = ['avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_bf16', 'amx_int8'];
  return wanted.map((flag) => `${flag} ${flags.includes(flag) ? 'yes' : 'no'}`).join(', ');
}

const texts = await benchTexts();
const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-embed-'));
try {
  const textsFile = path.join(work, 'texts.json');
  await writeFile(textsFile, JSON.stringify(texts));
  const { reference, info } = await PythonReference.start(textsFile);
  const fp32 = await createOnnxEmbedder({ modelPath: TEST_MODEL_PATH, batchSize });
  const int8 = await createOnnxEmbedder({ modelPath: TEST_MODEL_PATH, modelFile: 'model_quantized.onnx', batchSize });
  const floor = await floorRunner(fp32, texts);

  const times: Record<'default' | 'int8' | 'floor' | 'fp32' | 'bf16', number[]> = { default: [], int8: [], floor: [], fp32: [], bf16: [] };
  let vectors: Record<'default' | 'int8', Float32Array[]> = { default: [], int8: [] };
  await fp32.encodeDocuments(texts.slice(0, 16));
  await int8.encodeDocuments(texts.slice(0, 16));
  await reference.send('warm');
  const timed = async (run: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  for (let round = 1; round <= rounds; round++) {
    const first = round === 1;
    let out: Float32Array[] = [];
    times.default.push(await timed(async () => (out = await fp32.encodeDocuments(texts))));
    if (first) vectors = { ...vectors, default: out };
    times.fp32.push(Number((await reference.send(first ? `fp32 ${path.join(work, 'fp32.bin')}` : 'fp32')).seconds) * 1000);
    times.int8.push(await timed(async () => (out = await int8.encodeDocuments(texts))));
    if (first) vectors = { ...vectors, int8: out };
    if (!values['no-bf16'])
      times.bf16.push(Number((await reference.send(first ? `bf16 ${path.join(work, 'bf16.bin')}` : 'bf16')).seconds) * 1000);
    times.floor.push(await timed(floor.run));
    process.stderr.write(`round ${round}/${rounds} done\n`);
  }
  reference.close();
  await floor.close();
  await Promise.all([fp32.close(), int8.close()]);

  const st = readVectors(await readFile(path.join(work, 'fp32.bin')), texts.length);
  const bf16 = values['no-bf16'] ? undefined : readVectors(await readFile(path.join(work, 'bf16.bin')), texts.length);
  const tokens = texts.reduce((sum, text) => sum + fp32.tokenize(text).ids.length, 0);
  const base = median(times.fp32);
  const row = (name: string, ms: number[], cosine?: { min: number; mean: number }): string[] => [
    name,
    median(ms).toFixed(0),
    ((texts.length * 1000) / median(ms)).toFixed(1),
    `${(base / median(ms)).toFixed(2)}x`,
    cosine === undefined ? '' : cosine.min.toFixed(5),
    cosine === undefined ? '' : cosine.mean.toFixed(5),
  ];
  const rows = [
    row('sentence-transformers fp32 (PyTorch), reference', times.fp32, { min: 1, mean: 1 }),
    ...(bf16 === undefined ? [] : [row('PyTorch bf16 autocast', times.bf16, fidelity(bf16, st))]),
    row('milvus-rag default: ONNX Runtime fp32', times.default, fidelity(vectors.default, st)),
    row('milvus-rag opt-in: int8 (model_quantized.onnx)', times.int8, fidelity(vectors.int8, st)),
    row('ONNX Runtime session.run alone (floor of fp32)', times.floor),
  ];
  process.stdout.write(
    `\nEmbedding ${texts.length} ${values.texts === 'scifact' ? 'SciFact abstracts' : 'docs chunks'} (${tokens} tokens after truncation), all-MiniLM-L6-v2, batch ${batchSize}; ` +
      `onnxruntime-node ${ort.env.versions.common}, torch ${info.torch} (${info.threads} threads), ${os.availableParallelism()} cores, Node ${process.version}\n` +
      `CPU: ${os.cpus()[0]?.model ?? 'unknown'}; ${cpuFeatures()}\nmedians of ${rounds} interleaved rounds after a warm-up\n\n`,
  );
  printTable(['path', 'ms (p50)', 'texts/s', 'speed vs ST fp32', 'min cosine', 'mean cosine'], rows);
  const defaultFidelity = fidelity(vectors.default, st);
  const speed = base / median(times.default);
  process.stdout.write(
    `\ndefault: ${speed.toFixed(2)}x sentence-transformers fp32 at min cosine ${defaultFidelity.min.toFixed(5)}: ` +
      `${speed >= 1 && defaultFidelity.min >= FIDELITY_BAR ? 'goal met' : 'goal NOT met'} (>= 1.00x, >= ${FIDELITY_BAR})\n`,
  );
  const int8Fidelity = fidelity(vectors.int8, st);
  process.stdout.write(
    `int8: ${(base / median(times.int8)).toFixed(2)}x at min cosine ${int8Fidelity.min.toFixed(5)}: ` +
      `${int8Fidelity.min >= FIDELITY_BAR ? 'within' : 'below'} the ${FIDELITY_BAR} fidelity bar\n`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
