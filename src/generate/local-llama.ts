import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { Llama, LlamaChatSession, LlamaCompletion, LlamaContext, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import { ConfigError, messageOf, ProviderError } from '../errors.js';
import { milvusRagHome } from '../internal/home.js';
import { importOptional } from '../internal/optional-module.js';
import { citationGrammar, markerGrammar } from './citations.js';
import { LoopGuard } from './degeneration.js';
import type { ChatModel } from './chat-model.js';
import type { ChatCallOptions, ChatStreamPart } from './openai-chat.js';
import type { ChatMessage } from './prompt.js';

/**
 * The GGUF model the `local` provider downloads on first use when no path is given: a small
 * instruct model (about 400 MB) that runs on a laptop CPU.
 */
export const DEFAULT_LOCAL_MODEL = 'hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf';

/** Where downloaded GGUF models are kept: `llm/` in `MILVUS_RAG_HOME` (`~/.cache/milvus-rag`). */
/**
 * Repeat penalty of local answers. Measured with `eval --answers` on the FAQ dev set and six
 * unanswerable questions (bench/RESULTS.md): with it citation accuracy 0.818, without 0.773, both
 * with no degenerate answer. See there before changing it.
 */
const REPEAT_PENALTY = { penalty: 1.15, frequencyPenalty: 0.1, presencePenalty: 0.1, lastTokens: 64 };

export function defaultLlmCacheDir(): string {
  return path.join(milvusRagHome(), 'llm');
}

/** Options of {@link LocalLlamaChatModel.load}. */
export interface LocalLlamaOptions {
  /** A local `.gguf` file; no download. */
  modelPath?: string;
  /** A model URI (`hf:owner/repo/file.gguf`) downloaded into `cacheDir` on first use. */
  model?: string;
  cacheDir?: string;
  /** Never download; fail when the model file is not already present. */
  offline?: boolean;
  /** Tokens of prompt + answer. Default: 4096, or less when the model was trained on less. */
  contextSize?: number;
  /** CPU threads. Default: the number of cores. */
  threads?: number;
  temperature?: number;
  /** How long the model host may take to answer before a download is given up. Default: 15 s. */
  connectTimeoutMs?: number;
  onDownloadProgress?: (downloaded: number, total: number) => void;
}

type NodeLlamaCpp = typeof NodeLlamaCppModule;

async function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  let module: NodeLlamaCpp | undefined;
  try {
    module = await importOptional('node-llama-cpp', () => import('node-llama-cpp'));
  } catch (error) {
    throw new ConfigError('config.local-llm-missing', `cannot load node-llama-cpp: ${messageOf(error)}`, {
      cause: error,
      context: { field: 'llm.provider' },
    });
  }
  if (module === undefined) {
    throw new ConfigError(
      'config.local-llm-missing',
      'the local provider needs the node-llama-cpp package: run `npx milvus-rag setup --llm`, or npm install node-llama-cpp',
      { context: { field: 'llm.provider' } },
    );
  }
  return module;
}

/**
 * Runs a GGUF chat model in-process on the CPU through node-llama-cpp (llama.cpp). One
 * conversation at a time: calls are queued, because a context sequence holds one chat.
 *
 * Instruct models are prompted through their own chat template. A GGUF without one (a base,
 * pretrained-only model) is prompted as a plain-text transcript ending in `Answer:`, which base
 * models continue far better than a chat format they were never trained on.
 */
export class LocalLlamaChatModel implements ChatModel {
  readonly model: string;
  readonly endpoint: string;
  readonly contextWindow: number;
  readonly #llama: Llama;
  readonly #model: LlamaModel;
  readonly #context: LlamaContext;
  readonly #module: NodeLlamaCpp;
  readonly #temperature: number | undefined;
  readonly #grammars = new Map<string, Promise<LlamaGrammar>>();
  #queue: Promise<void> = Promise.resolve();
  /** Whether the GGUF carries a chat template; without one the model is prompted as text. */
  readonly chatTemplate: boolean;

  private constructor(module: NodeLlamaCpp, llama: Llama, model: LlamaModel, context: LlamaContext, file: string, temperature?: number) {
    this.#module = module;
    this.#llama = llama;
    this.#model = model;
    this.#context = context;
    this.model = path.basename(file);
    this.endpoint = file;
    this.contextWindow = context.contextSize;
    this.#temperature = temperature;
    this.chatTemplate = Boolean(model.fileInfo.metadata.tokenizer?.chat_template);
  }

  /** Finds (or downloads) the model file and loads it. */
  static async load(options: LocalLlamaOptions): Promise<LocalLlamaChatModel> {
    const module = await importNodeLlamaCpp();
    const file = await resolveLocalModelFile(module, options);
    let llama: Llama | undefined;
    try {
      // build: 'never' — use the prebuilt binaries from npm; never compile llama.cpp at run time.
      llama = await module.getLlama({ gpu: false, build: 'never', logLevel: module.LlamaLogLevel.error });
      const model = await llama.loadModel({ modelPath: file });
      const contextSize = Math.min(options.contextSize ?? 4096, model.trainContextSize);
      // One thread per core: llama.cpp's default can exceed the cores, and its spinning threads
      // then slow to a crawl when anything else (ONNX, Milvus Lite) runs beside them.
      const context = await model.createContext({ contextSize, threads: options.threads ?? os.availableParallelism() });
      return new LocalLlamaChatModel(module, llama, model, context, file, options.temperature);
    } catch (error) {
      await llama?.dispose().catch(() => undefined);
      throw new ProviderError('provider.local-load', `cannot load the local model ${file}: ${messageOf(error)}`, {
        cause: error,
        context: { file },
      });
    }
  }

  /** Whether node-llama-cpp is installed and the model file is already here (no download). */
  static async present(options: LocalLlamaOptions): Promise<boolean> {
    let module: NodeLlamaCpp;
    try {
      module = await importNodeLlamaCpp();
    } catch {
      return false;
    }
    try {
      await access(await resolveLocalModelFile(module, { ...options, offline: true }));
      return true;
    } catch {
      return false;
    }
  }

  countTokens(text: string): number {
    return this.#model.tokenize(text).length;
  }

  async *stream(messages: readonly ChatMessage[], options: ChatCallOptions = {}): AsyncGenerator<ChatStreamPart> {
    const parts = new PartQueue();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#queue;
    this.#queue = previous.then(() => turn);
    await previous;
    let session: LlamaChatSession | LlamaCompletion | undefined;
    let done: Promise<void> | undefined;
    // Stops generation when the caller aborts or stops reading the stream early.
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const sequence = this.#context.getSequence();
    try {
      const system = messages.filter((message) => message.role === 'system').map((message) => message.content.trim());
      const turns = messages.filter((message) => message.role !== 'system');
      const last = turns.at(-1);
      if (!last || last.role !== 'user') throw new ProviderError('provider.local-prompt', 'the last message must be the question', {});
      const grammar = options.citeSources ? await this.#grammar(citationGrammar(options.citeSources)) : undefined;
      const maxTokens = options.maxTokens ?? 512;
      let answer = '';
      const common = {
        ...(this.#temperature === undefined ? {} : { temperature: this.#temperature }),
        // A small model loops on what it just wrote: penalize recent tokens (measured: bench/RESULTS.md).
        repeatPenalty: REPEAT_PENALTY,
        // The context's markers and headings are never part of an answer.
        customStopTriggers: ['\n#', ' ##', '<context>', '</context>', '<question>', '\nQuestion:', '\n\n\n'],
        signal: controller.signal,
        stopOnAbortSignal: true,
      };
      // What the model writes goes out a sentence at a time, once the loop guard has seen it: a
      // repeated sentence, a looping phrase or a copied heading is cut, and generation stops there.
      const guard = new LoopGuard();
      let released = 0;
      let cut = false;
      const release = (upTo: number) => {
        if (upTo <= released) return;
        const text = guard.text.slice(released, upTo);
        released = upTo;
        answer += text;
        parts.push({ type: 'token', text });
      };
      // Text the model writes after `prefix` (which node-llama-cpp echoes back first).
      const emit = (prefix: string) => {
        let skip = prefix.length;
        return (text: string) => {
          const fresh = text.slice(Math.min(skip, text.length));
          skip = Math.max(0, skip - text.length);
          if (fresh === '' || cut) return;
          const keep = guard.push(fresh);
          if (keep !== undefined) {
            cut = true;
            release(keep);
            controller.abort();
            return;
          }
          // Up to the last sentence end; the open sentence waits for its end (or the finish).
          const end = Math.max(...['. ', '? ', '! ', '.\n', '?\n', '!\n', '] ', ']\n'].map((mark) => guard.text.lastIndexOf(mark)));
          if (end >= 0) release(end + 1);
        };
      };
      let promptTokens = 0;
      // Generates after `prefix`, the start of an answer given back to the model; says why it stopped.
      let generate: (prefix: string, options: { maxTokens: number; grammar?: LlamaGrammar }) => Promise<string>;
      if (this.chatTemplate) {
        const chat = new this.#module.LlamaChatSession({
          contextSequence: sequence,
          ...(system.length > 0 ? { systemPrompt: system.join('\n\n') } : {}),
        });
        session = chat;
        const history = chat.getChatHistory();
        for (const message of turns.slice(0, -1)) {
          history.push(message.role === 'user' ? { type: 'user', text: message.content } : { type: 'model', response: [message.content] });
        }
        chat.setChatHistory(history);
        for (const message of messages) promptTokens += this.countTokens(message.content);
        generate = async (prefix, call) => {
          chat.setChatHistory(history);
          const result = await chat.promptWithMeta(last.content, {
            ...common,
            ...call,
            ...(prefix ? { responsePrefix: prefix } : {}),
            onTextChunk: emit(prefix),
          });
          return result.stopReason;
        };
      } else {
        const completion = new this.#module.LlamaCompletion({ contextSequence: sequence });
        session = completion;
        const text = transcript(system, turns);
        promptTokens = this.countTokens(text);
        generate = async (prefix, call) => {
          const result = await completion.generateCompletionWithMeta(text + prefix, {
            ...common,
            ...call,
            // A base model goes on to write the next question of the transcript: `common` stops there.
            onTextChunk: emit(''),
          });
          return result.metadata.stopReason;
        };
      }
      done = (async () => {
        if (!grammar) {
          await generate('', { maxTokens });
          if (!cut) release(guard.text.length);
          return;
        }
        // A few tokens are kept back: when the budget runs out inside a sentence, the model still
        // closes it with a marker of its choice, so a cut answer cites too.
        const reserve = 4;
        const stop = await generate('', { maxTokens: Math.max(1, maxTokens - reserve), grammar });
        if (!cut) release(guard.text.length);
        if (stop !== 'maxTokens' || controller.signal.aborted) return;
        const open = ' [';
        guard.push(open);
        release(guard.text.length);
        await generate(answer, { maxTokens: reserve, grammar: await this.#grammar(markerGrammar(options.citeSources!)) });
        release(guard.text.length);
      })().then(
        () => parts.end(),
        (error: unknown) => parts.fail(error),
      );
      yield* parts;
      await done;
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      yield { type: 'done', model: this.model, finishReason: 'stop', usage: { promptTokens, completionTokens: this.countTokens(answer) } };
    } catch (error) {
      if (options.signal?.aborted) {
        throw new ProviderError('provider.aborted', 'the request was cancelled', { cause: error, context: { file: this.endpoint } });
      }
      if (error instanceof ProviderError) throw error;
      throw new ProviderError('provider.local', `the local model ${this.endpoint} failed: ${messageOf(error)}`, {
        cause: error,
        context: { file: this.endpoint },
      });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
      await done?.catch(() => undefined);
      void session?.dispose({ disposeSequence: false });
      void sequence.dispose();
      release();
    }
  }

  /** Grammars are compiled once each. */
  #grammar(text: string): Promise<LlamaGrammar> {
    let grammar = this.#grammars.get(text);
    if (!grammar) {
      grammar = this.#llama.createGrammar({ grammar: text });
      this.#grammars.set(text, grammar);
    }
    return grammar;
  }

  async close(): Promise<void> {
    await this.#context.dispose();
    await this.#model.dispose();
    await this.#llama.dispose();
  }
}

/**
 * Downloads the local chat model into the cache (or checks `modelPath`) and returns its file,
 * e.g. before going offline. Loads nothing.
 */
export async function downloadLocalModel(options: LocalLlamaOptions): Promise<string> {
  return resolveLocalModelFile(await importNodeLlamaCpp(), { ...options, offline: false });
}

/** Chat messages as the plain text a base model continues: earlier turns as Question/Answer. */
export function transcript(system: readonly string[], turns: readonly ChatMessage[]): string {
  const lines = system.length > 0 ? [system.join('\n\n'), ''] : [];
  for (const [index, message] of turns.entries()) {
    if (index === turns.length - 1) lines.push(message.content.trim(), '', 'Answer:');
    else lines.push(message.role === 'user' ? `Question: ${message.content.trim()}` : `Answer: ${message.content.trim()}`, '');
  }
  return lines.join('\n');
}

/** A local path is used as it is; a URI is looked up in the cache and downloaded unless offline. */
async function resolveLocalModelFile(module: NodeLlamaCpp, options: LocalLlamaOptions): Promise<string> {
  if (options.modelPath) {
    const file = path.resolve(options.modelPath);
    try {
      await access(file);
    } catch {
      throw new ConfigError('config.local-llm-path', `the local model file ${file} does not exist (llm.modelPath)`, {
        context: { file, field: 'llm.modelPath' },
      });
    }
    return file;
  }
  const uri = options.model ?? DEFAULT_LOCAL_MODEL;
  const directory = options.cacheDir ?? defaultLlmCacheDir();
  const get = (download: false | 'auto') =>
    module.resolveModelFile(uri, {
      directory,
      download,
      cli: false,
      ...(options.onDownloadProgress
        ? { onProgress: ({ downloadedSize, totalSize }) => options.onDownloadProgress!(downloadedSize, totalSize) }
        : {}),
    });
  try {
    if (options.offline) return await get(false);
    try {
      return await get(false);
    } catch {
      // Not in the cache. node-llama-cpp's downloader retries an unreachable host for minutes
      // and ignores its abort signal meanwhile: ask the host first, and fail fast when offline.
      await probeHost(uri, options.connectTimeoutMs ?? 15_000);
      return await get('auto');
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError('provider.local-download', `cannot get the local model ${uri}: ${messageOf(error)}`, {
      cause: error,
      context: { model: uri },
    });
  }
}

/** Fails with a clear message when the host a model URI downloads from cannot be reached. */
async function probeHost(uri: string, timeoutMs: number): Promise<void> {
  const origin =
    uri.startsWith('hf:') || uri.startsWith('huggingface:')
      ? 'https://huggingface.co'
      : URL.canParse(uri)
        ? new URL(uri).origin
        : undefined;
  if (!origin) return;
  try {
    await fetch(origin, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ProviderError(
      'provider.local-download',
      `cannot get the local model ${uri}: ${origin} cannot be reached (${messageOf((error as { cause?: unknown }).cause ?? error)}); offline, give a GGUF file with llm.modelPath`,
      { cause: error, context: { model: uri } },
    );
  }
}

/** Turns callbacks into an async iterator: tokens are yielded as llama.cpp produces them. */
class PartQueue implements AsyncIterable<ChatStreamPart> {
  #items: ChatStreamPart[] = [];
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  push(part: ChatStreamPart): void {
    this.#items.push(part);
    this.#wake?.();
  }
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }
  fail(error: unknown): void {
    this.#error = error ?? new Error('generation failed');
    this.end();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<ChatStreamPart> {
    for (;;) {
      const item = this.#items.shift();
      if (item) {
        yield item;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
