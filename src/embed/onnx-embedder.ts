import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type * as ort from 'onnxruntime-node';
import { EmbeddingError, messageOf } from '../errors.js';
import type { Embedder, EmbedOptions } from './embedder.js';
import { loadOnnxRuntime, type OnnxRuntime } from './onnx-runtime.js';

/** Where the maximum sequence length comes from when {@link OnnxEmbedderOptions.maxLength} is not set. */
export type MaxLengthSource = 'sentence-transformers' | 'tokenizer';

/** Options of {@link OnnxEmbedder.create}. */
export interface OnnxEmbedderOptions {
  /** A folder with `model.onnx` (or `onnx/model.onnx`), `tokenizer.json` and, optionally,
   * `tokenizer_config.json`, `config.json`, `sentence_bert_config.json`, `1_Pooling/config.json`. */
  modelPath: string;
  /**
   * The ONNX file in the folder (or its `onnx/` subfolder), e.g. `model_quantized.onnx`, an int8
   * export that embeds about 1.3x faster on a CPU, with vectors at cosine >= 0.99 to fp32
   * (`npm run bench:embed`). Default: `model.onnx`.
   */
  modelFile?: string;
  /**
   * Stored with collections to detect a model change. Default: the folder's name, followed by
   * `:<file>` for a model file other than `model.onnx` (its vectors differ).
   */
  modelId?: string;
  /** Tokens kept per text, special tokens included; longer texts are truncated. */
  maxLength?: number;
  /**
   * Without `maxLength`: `sentence-transformers` uses `sentence_bert_config.json`'s
   * `max_seq_length` when present (what sentence-transformers does), `tokenizer` uses
   * `tokenizer_config.json`'s `model_max_length` (what pymilvus' ONNX embedding function does).
   * Default: `sentence-transformers`.
   */
  maxLengthSource?: MaxLengthSource;
  /** Texts per model call. Default: 8 (fastest on small CPUs; texts are sorted by length first). */
  batchSize?: number;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's own choice (all cores). */
  threads?: number;
  /**
   * The dimension the model must give, e.g. a preset's. A folder holding another model (copied
   * into a preset's cache folder by hand, say) then fails here, instead of writing vectors under
   * the wrong model id.
   */
  expectedDimension?: number;
}

type Pooling = 'mean' | 'cls';

interface Encoded {
  ids: number[];
  typeIds: number[];
}

/**
 * A sentence embedder running an ONNX transformer on the CPU with ONNX Runtime.
 *
 * It reproduces pymilvus' `OnnxEmbeddingFunction` (the reference pipeline's embedder): the model's
 * first output (token embeddings) is mean-pooled over the attention mask, then L2-normalised.
 * Texts are batched by similar length so padding costs little; padding does not change results
 * because pooling ignores masked positions.
 */
export class OnnxEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimension: number;
  readonly maxBatchSize: number;
  readonly maxLength: number;
  readonly #runtime: OnnxRuntime;
  readonly #session: ort.InferenceSession;
  readonly #tokenizer: Tokenizer;
  readonly #pooling: Pooling;
  readonly #needsTokenTypes: boolean;
  readonly #outputName: string;
  /** Token ids the tokenizer adds before and after the text (e.g. [CLS] ... [SEP]). */
  readonly #prefixLength: number;
  readonly #suffixLength: number;

  private constructor(init: {
    modelId: string;
    dimension: number;
    batchSize: number;
    maxLength: number;
    runtime: OnnxRuntime;
    session: ort.InferenceSession;
    tokenizer: Tokenizer;
    pooling: Pooling;
  }) {
    this.#runtime = init.runtime;
    this.modelId = init.modelId;
    this.dimension = init.dimension;
    this.maxBatchSize = init.batchSize;
    this.maxLength = init.maxLength;
    this.#session = init.session;
    this.#tokenizer = init.tokenizer;
    this.#pooling = init.pooling;
    this.#needsTokenTypes = init.session.inputNames.includes('token_type_ids');
    const outputName = init.session.outputNames[0];
    if (outputName === undefined) {
      throw new EmbeddingError('embed.model', `model ${init.modelId} has no outputs`, { context: { model: init.modelId } });
    }
    this.#outputName = outputName;
    const probe = init.tokenizer.encode('a', { add_special_tokens: true }).ids;
    const probeBare = init.tokenizer.encode('a', { add_special_tokens: false }).ids;
    const start = indexOfSequence(probe, probeBare);
    this.#prefixLength = Math.max(start, 0);
    this.#suffixLength = start < 0 ? 0 : probe.length - start - probeBare.length;
  }

  /** Loads a model folder. Fails with an {@link EmbeddingError} naming the missing or bad file. */
  static async create(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const folder = path.resolve(options.modelPath);
    const fileName = options.modelFile ?? 'model.onnx';
    const variant = fileName === 'model.onnx' ? '' : `:${path.basename(fileName, '.onnx')}`;
    const modelId = (options.modelId ?? path.basename(folder)) + variant;
    const context = { model: modelId, file: folder };
    const modelFile = await firstExisting([path.join(folder, fileName), path.join(folder, 'onnx', fileName)]);
    if (modelFile === undefined) {
      throw new EmbeddingError('embed.missing-model', `no ${fileName} in ${folder} (looked in ./ and ./onnx/)`, {
        context,
      });
    }
    const tokenizerJson = await readJson(path.join(folder, 'tokenizer.json'), true, modelId);
    const tokenizerConfig = (await readJson(path.join(folder, 'tokenizer_config.json'), false, modelId)) ?? {};
    const modelConfig = (await readJson(path.join(folder, 'config.json'), false, modelId)) ?? {};
    const sentenceConfig = await readJson(path.join(folder, 'sentence_bert_config.json'), false, modelId);
    const poolingConfig = await readJson(path.join(folder, '1_Pooling', 'config.json'), false, modelId);

    const tokenizer = makeTokenizer(tokenizerJson, tokenizerConfig, folder, context);

    const runtime = await loadOnnxRuntime();
    let session: ort.InferenceSession;
    try {
      session = await runtime.InferenceSession.create(modelFile, {
        graphOptimizationLevel: 'all',
        ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
      });
    } catch (error) {
      throw new EmbeddingError('embed.model', `cannot load ONNX model ${modelFile}: ${messageOf(error)}`, {
        cause: error,
        context,
      });
    }

    const positions = positiveInt(modelConfig.max_position_embeddings);
    const fromTokenizer = positiveInt(tokenizerConfig.model_max_length);
    const fromSentence = positiveInt(sentenceConfig?.max_seq_length);
    const source = options.maxLengthSource ?? 'sentence-transformers';
    let maxLength = options.maxLength ?? (source === 'sentence-transformers' ? (fromSentence ?? fromTokenizer) : fromTokenizer) ?? 512;
    if (positions !== undefined) maxLength = Math.min(maxLength, positions);

    const pooling: Pooling = poolingConfig?.pooling_mode_cls_token === true ? 'cls' : 'mean';
    const embedder = new OnnxEmbedder({
      modelId,
      dimension: 0,
      batchSize: options.batchSize ?? 8,
      maxLength,
      runtime,
      session,
      tokenizer,
      pooling,
    });
    // The dimension is read from a real run rather than trusted from config.json.
    const [probe] = await embedder.#run(['dimension probe']);
    if (probe === undefined || probe.length === 0) {
      throw new EmbeddingError('embed.model', `model ${modelId} returned no embedding`, { context });
    }
    if (options.expectedDimension !== undefined && probe.length !== options.expectedDimension) {
      await embedder.close();
      throw new EmbeddingError(
        'embed.dimension',
        `the model in ${folder} gives ${probe.length} dimensions, but ${modelId} gives ${options.expectedDimension}: the folder holds another model`,
        { context },
      );
    }
    (embedder as { dimension: number }).dimension = probe.length;
    return embedder;
  }

  encodeDocuments(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.#encode(texts, options);
  }

  encodeQueries(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    return this.#encode(texts, options);
  }

  async close(): Promise<void> {
    await this.#session.release();
  }

  countTokens(text: string): number {
    return this.#tokenizer.encode(text, { add_special_tokens: true }).ids.length;
  }

  /** Tokenizes one text, truncating the text (not the special tokens) to {@link maxLength}. */
  tokenize(text: string): Encoded {
    const full = this.#tokenizer.encode(text, { add_special_tokens: true, return_token_type_ids: true });
    if (full.ids.length <= this.maxLength) return { ids: full.ids, typeIds: full.token_type_ids };
    const keep = this.maxLength - this.#prefixLength - this.#suffixLength;
    const ids = [...full.ids.slice(0, this.#prefixLength + keep), ...full.ids.slice(full.ids.length - this.#suffixLength)];
    return { ids, typeIds: new Array<number>(ids.length).fill(0) };
  }

  async #encode(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    // Identical texts are embedded once: a docs tree repeats many small chunks (the Milvus docs
    // split on "# " hold 4,894 chunks but 3,857 distinct texts). Each copy gets its own array.
    const distinct = [...new Set(texts)];
    const encoded = distinct.map((text) => this.tokenize(text));
    // Sort by length so each batch pads to a similar length; results go back in input order.
    const order = encoded.map((_, index) => index).sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length);
    const byText = new Map<string, Float32Array>();
    for (let start = 0; start < order.length; start += this.maxBatchSize) {
      options?.signal?.throwIfAborted();
      const indexes = order.slice(start, start + this.maxBatchSize);
      const vectors = await this.#runEncoded(indexes.map((index) => encoded[index]!));
      indexes.forEach((index, position) => {
        byText.set(distinct[index]!, vectors[position]!);
      });
    }
    const given = new Set<string>();
    return texts.map((text) => {
      const vector = byText.get(text)!;
      if (given.has(text)) return vector.slice();
      given.add(text);
      return vector;
    });
  }

  #run(texts: readonly string[]): Promise<Float32Array[]> {
    return this.#runEncoded(texts.map((text) => this.tokenize(text)));
  }

  async #runEncoded(batch: readonly Encoded[]): Promise<Float32Array[]> {
    const rows = batch.length;
    const columns = Math.max(1, ...batch.map((item) => item.ids.length));
    const ids = new BigInt64Array(rows * columns);
    const mask = new BigInt64Array(rows * columns);
    const types = new BigInt64Array(rows * columns);
    batch.forEach((item, row) => {
      for (let column = 0; column < item.ids.length; column++) {
        ids[row * columns + column] = BigInt(item.ids[column]!);
        mask[row * columns + column] = 1n;
        types[row * columns + column] = BigInt(item.typeIds[column] ?? 0);
      }
    });
    const shape = [rows, columns];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new this.#runtime.Tensor('int64', ids, shape),
      attention_mask: new this.#runtime.Tensor('int64', mask, shape),
    };
    if (this.#needsTokenTypes) feeds.token_type_ids = new this.#runtime.Tensor('int64', types, shape);

    let output: ort.Tensor;
    try {
      const outputs = await this.#session.run(feeds, [this.#outputName]);
      output = outputs[this.#outputName]!;
    } catch (error) {
      throw new EmbeddingError('embed.run', `model ${this.modelId} failed: ${messageOf(error)}`, {
        cause: error,
        context: { model: this.modelId },
      });
    }
    const hidden = output.dims[2];
    if (output.dims.length !== 3 || hidden === undefined) {
      throw new EmbeddingError(
        'embed.output',
        `model ${this.modelId} output "${this.#outputName}" has shape [${output.dims.join(', ')}]; token embeddings [batch, tokens, hidden] are expected`,
        { context: { model: this.modelId } },
      );
    }
    const data = output.data as Float32Array;
    const vectors: Float32Array[] = [];
    for (let row = 0; row < rows; row++) {
      const vector = new Float32Array(hidden);
      const length = batch[row]!.ids.length;
      const counted = this.#pooling === 'cls' ? 1 : length;
      // Accumulate in float64 like numpy does in the reference, then round once.
      const sum = new Float64Array(hidden);
      for (let token = 0; token < counted; token++) {
        const offset = (row * columns + token) * hidden;
        for (let dim = 0; dim < hidden; dim++) sum[dim]! += data[offset + dim]!;
      }
      let norm = 0;
      for (let dim = 0; dim < hidden; dim++) {
        const mean = sum[dim]! / Math.max(counted, 1e-9);
        sum[dim] = mean;
        norm += mean * mean;
      }
      norm = Math.sqrt(norm) || 1;
      for (let dim = 0; dim < hidden; dim++) vector[dim] = sum[dim]! / norm;
      vectors.push(vector);
    }
    return vectors;
  }
}

/** What counting tokens needs of a tokenizer (the library's own types do not compile under `nodenext`, so they stay inside). */
export interface TextTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
}

/** The tokenizer of a model folder (`tokenizer.json`, and `tokenizer_config.json` when there): for counting tokens without the model. */
export async function loadTokenizer(modelPath: string, modelId = path.basename(modelPath)): Promise<TextTokenizer> {
  const folder = path.resolve(modelPath);
  const tokenizerJson = await readJson(path.join(folder, 'tokenizer.json'), true, modelId);
  const tokenizerConfig = (await readJson(path.join(folder, 'tokenizer_config.json'), false, modelId)) ?? {};
  return makeTokenizer(tokenizerJson, tokenizerConfig, folder, { model: modelId, file: folder });
}

function makeTokenizer(tokenizerJson: Json, tokenizerConfig: Json, folder: string, context: { model: string; file: string }): Tokenizer {
  try {
    return new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new EmbeddingError('embed.tokenizer', `cannot load ${path.join(folder, 'tokenizer.json')}: ${messageOf(error)}`, {
      cause: error,
      context,
    });
  }
}

function indexOfSequence(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let offset = 0; offset < needle.length; offset++) {
      if (haystack[start + offset] !== needle[offset]) continue outer;
    }
    return start;
  }
  return -1;
}

function positiveInt(value: unknown): number | undefined {
  // Tokenizers with no limit store a huge sentinel (1e30) as model_max_length.
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 1_000_000 ? value : undefined;
}

async function firstExisting(files: readonly string[]): Promise<string | undefined> {
  for (const file of files) {
    try {
      await access(file);
      return file;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** Model config files are free-form JSON; each value is checked where it is read. */
type Json = Record<string, unknown>;

async function readJson(file: string, required: true, model: string): Promise<Json>;
async function readJson(file: string, required: false, model: string): Promise<Json | undefined>;
async function readJson(file: string, required: boolean, model: string): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!required) return undefined;
    throw new EmbeddingError('embed.missing-file', `cannot read ${file}: ${messageOf(error)}`, {
      cause: error,
      context: { file, model },
    });
  }
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new EmbeddingError('embed.bad-file', `${file} is not valid JSON: ${messageOf(error)}`, {
      cause: error,
      context: { file, model },
    });
  }
}
