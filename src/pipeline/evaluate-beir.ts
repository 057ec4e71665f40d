import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, messageOf } from '../errors.js';
import { meanMetrics, type QueryMetrics } from '../retrieve/ranking-metrics.js';
import type { SearchMode } from '../retrieve/retriever.js';
import type { RetrievedChunk } from '../types.js';
import { latencyPercentiles, type RetrieveForEval } from './evaluate.js';

/** A BEIR folder's queries and judgements for one split. */
export interface BeirSet {
  queries: Map<string, string>;
  qrels: Map<string, Map<string, number>>;
}

/** What {@link evaluateBeir} measured: means over the judged queries. */
export interface BeirReport extends QueryMetrics {
  n: number;
  split: string;
  mode: SearchMode;
  latencyMs: { p50: number; p95: number };
}

/** Documents ranked per query: 100 for recall@100 and MAP@100. */
const DEPTH = 100;

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError('eval.read', `cannot read ${file}: ${messageOf(error)}`, { cause: error, context: { file } });
  }
}

/**
 * Reads `queries.jsonl` (`{"_id", "text"}` per line) and `qrels/<split>.tsv` (`query-id`,
 * `corpus-id`, `score`, with a header row) of a BEIR folder. Only judged queries are kept.
 */
export async function readBeirSet(folder: string, split: string): Promise<BeirSet> {
  const qrelsFile = path.join(folder, 'qrels', `${split}.tsv`);
  const qrels = new Map<string, Map<string, number>>();
  for (const [index, line] of (await readText(qrelsFile)).split('\n').entries()) {
    if (line.trim() === '' || (index === 0 && /query/i.test(line))) continue;
    const [query, doc, score] = line.split('\t');
    if (!query || !doc || score === undefined || !Number.isFinite(Number(score))) {
      throw new ConfigError('eval.line', `${qrelsFile}:${index + 1} needs query-id, corpus-id and score separated by tabs`, {
        context: { file: qrelsFile },
      });
    }
    if (!qrels.has(query)) qrels.set(query, new Map());
    qrels.get(query)!.set(doc, Number(score));
  }
  const queriesFile = path.join(folder, 'queries.jsonl');
  const queries = new Map<string, string>();
  for (const [index, line] of (await readText(queriesFile)).split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: { _id?: unknown; text?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch (error) {
      throw new ConfigError('eval.line', `${queriesFile}:${index + 1} is not valid JSON: ${messageOf(error)}`, {
        context: { file: queriesFile },
      });
    }
    const id = String(value._id ?? '');
    if (qrels.has(id) && typeof value.text === 'string') queries.set(id, value.text);
  }
  for (const query of qrels.keys()) {
    if (!queries.has(query)) {
      throw new ConfigError('eval.missing-query', `${qrelsFile} judges query ${query}, which ${queriesFile} does not have`, {
        context: { file: qrelsFile },
      });
    }
  }
  if (qrels.size === 0) throw new ConfigError('eval.empty', `${qrelsFile} judges no queries`, { context: { file: qrelsFile } });
  return { queries, qrels };
}

/**
 * The corpus id of a retrieved chunk: the record id that `ingest corpus.jsonl` stored
 * (`metadata.record`), else what follows `#` in its source.
 */
export function documentIdOf(chunk: RetrievedChunk): string {
  const metadata = chunk.entity.metadata as { record?: unknown } | undefined;
  if (metadata && typeof metadata.record === 'string') return metadata.record;
  const hash = chunk.source.lastIndexOf('#');
  return hash === -1 ? chunk.source : chunk.source.slice(hash + 1);
}

/**
 * Runs every judged query of a BEIR split through retrieval and scores the documents as BEIR
 * does: a document ranks by its best chunk (MaxP), so `chunkDepth` chunks are retrieved to fill
 * 100 documents. nDCG@10, recall@10/@100, MRR@10 and MAP@100 as trec_eval computes them.
 */
export async function evaluateBeir(
  set: BeirSet,
  retrieve: RetrieveForEval,
  options: { split: string; mode?: SearchMode; chunkDepth?: number },
): Promise<BeirReport> {
  const chunkDepth = options.chunkDepth ?? 2 * DEPTH;
  const run = new Map<string, string[]>();
  const latencies: number[] = [];
  for (const [id, text] of set.queries) {
    const started = performance.now();
    const chunks = await retrieve(text, chunkDepth);
    latencies.push(performance.now() - started);
    // Chunks come best first: the first chunk of a document is its best (MaxP).
    const documents = [...new Set(chunks.map(documentIdOf))].slice(0, DEPTH);
    run.set(id, documents);
  }
  return {
    ...meanMetrics(run, set.qrels),
    split: options.split,
    mode: options.mode ?? 'auto',
    latencyMs: latencyPercentiles(latencies),
  };
}
