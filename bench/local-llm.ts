/**
 * Speed of the local provider: time to first token and tokens/s of a GGUF model run in-process
 * on the CPU, answering the reference question over the 3 FAQ chunks the retriever returns.
 *
 * Three rows, measured in one run, interleaved run by run so machine noise hits all alike:
 *   - node-llama-cpp alone, on the same prompt text (the floor: llama.cpp's own speed);
 *   - milvus-rag `ask` with the answer free (--no-enforce-citations);
 *   - milvus-rag `ask` with citations enforced by a grammar (the default of the local provider).
 * Medians over --runs answers (default 5), after one warm-up each; ratios are tokens/s over the floor.
 *
 *   npm run bench:llm                              # the test model (Gemma 3 270M, Q4_K_M)
 *   npm run bench:llm -- --model-path my.gguf --runs 3
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { getLlama, LlamaCompletion } from 'node-llama-cpp';
import { loadConfig } from '../src/config/load-config.js';
import { transcript } from '../src/generate/local-llama.js';
import type { ChatMessage } from '../src/generate/prompt.js';
import { MilvusRag } from '../src/pipeline/rag.js';
import { FAQ_DIR, REFERENCE_QUESTION, ROOT, TEST_LLM_PATH, TEST_MODEL_PATH } from '../test/helpers/paths.js';
import { median, printTable } from './stats.js';

const { values } = parseArgs({
  options: {
    'model-path': { type: 'string', default: TEST_LLM_PATH },
    runs: { type: 'string', default: '5' },
    'max-tokens': { type: 'string', default: '128' },
    show: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const maxTokens = Number(values['max-tokens']);
const threads = os.availableParallelism();

interface Sample {
  firstTokenMs: number;
  tokensPerSecond: number;
  tokens: number;
}
const samples: Record<'floor' | 'free' | 'cited', Sample[]> = { floor: [], free: [], cited: [] };

const work = await mkdtemp(path.join(os.tmpdir(), 'milvus-rag-bench-llm-'));
try {
  const open = async (enforceCitations: boolean, db: string) =>
    MilvusRag.open(
      await loadConfig({
        cwd: ROOT,
        env: {},
        flags: {
          uri: path.join(work, db),
          splitter: 'seed',
          embedding: { modelPath: TEST_MODEL_PATH },
          llm: { modelPath: values['model-path'], maxTokens, temperature: 0, contextWindow: 2048, threads, enforceCitations },
        },
      }),
    );
  const loadStarted = performance.now();
  const cited = await open(true, 'cited.db');
  const loadMs = performance.now() - loadStarted;
  const free = await open(false, 'free.db');
  // node-llama-cpp alone, reading exactly the text the local provider gives a base model.
  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: values['model-path'] });
  const context = await model.createContext({ contextSize: 2048, threads });
  try {
    await cited.ingest(FAQ_DIR, { drop: true });
    await free.ingest(FAQ_DIR, { drop: true });
    let messages: ChatMessage[] = [];
    for await (const event of cited.askStream(REFERENCE_QUESTION)) if (event.type === 'retrieval') messages = event.messages;
    const system = messages.filter((message) => message.role === 'system').map((message) => message.content.trim());
    const prompt = transcript(
      system,
      messages.filter((message) => message.role !== 'system'),
    );

    const floor = async (): Promise<Sample> => {
      const sequence = context.getSequence();
      const completion = new LlamaCompletion({ contextSequence: sequence });
      const started = performance.now();
      let first: number | undefined;
      let text = '';
      try {
        await completion.generateCompletion(prompt, {
          maxTokens,
          temperature: 0,
          customStopTriggers: ['\nQuestion:', '\n\n\n'],
          onTextChunk: (chunk) => {
            first ??= performance.now();
            text += chunk;
          },
        });
      } finally {
        completion.dispose({ disposeSequence: false });
        await sequence.dispose();
      }
      const finished = performance.now();
      const tokens = model.tokenize(text).length;
      return {
        firstTokenMs: (first ?? finished) - started,
        tokensPerSecond: ((tokens - 1) * 1000) / (finished - (first ?? started)),
        tokens,
      };
    };
    const viaRag = async (rag: MilvusRag, label: string, run: number): Promise<Sample> => {
      const result = await rag.ask(REFERENCE_QUESTION);
      if (values.show && run === 0) process.stderr.write(`${label}: ${result.answer}\n\n`);
      return {
        firstTokenMs: result.timings.firstTokenMs ?? Number.NaN,
        tokensPerSecond: result.timings.tokensPerSecond ?? Number.NaN,
        tokens: result.usage?.completionTokens ?? Number.NaN,
      };
    };
    for (let run = 0; run <= runs; run += 1) {
      const results = { floor: await floor(), free: await viaRag(free, 'free', run), cited: await viaRag(cited, 'cited', run) };
      if (run === 0) continue; // warm-up
      for (const key of ['floor', 'free', 'cited'] as const) samples[key].push(results[key]);
    }
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    await Promise.all([cited.close(), free.close()]);
  }
  process.stdout.write(
    `\nLocal LLM: ${path.basename(values['model-path'])}, node-llama-cpp on the CPU (${threads} threads), model load ${loadMs.toFixed(0)} ms; ` +
      `reference question over 3 FAQ chunks, at most ${maxTokens} answer tokens, ${runs} runs after a warm-up, Node ${process.version}\n\n`,
  );
  const floorRate = median(samples.floor.map((sample) => sample.tokensPerSecond));
  const rows = (
    [
      ['node-llama-cpp alone (floor)', 'floor'],
      ['milvus-rag ask, free answer', 'free'],
      ['milvus-rag ask, cited (default)', 'cited'],
    ] as const
  ).map(([label, key]) => {
    const rate = median(samples[key].map((sample) => sample.tokensPerSecond));
    return [
      label,
      median(samples[key].map((sample) => sample.firstTokenMs)).toFixed(0),
      rate.toFixed(1),
      median(samples[key].map((sample) => sample.tokens)).toFixed(0),
      `${(rate / floorRate).toFixed(2)}x`,
    ];
  });
  printTable(['', 'time to first token ms (p50)', 'tokens/s (p50)', 'answer tokens (p50)', 'tokens/s vs floor'], rows);
} finally {
  await rm(work, { recursive: true, force: true });
}
