/**
 * What the commands print: hits, answers with their sources, notices. Results go to stdout,
 * notices and progress to stderr.
 * @module cli/output
 */
import { anchorOf, describeLocation } from '../anchors.js';
import type { AskEvent } from '../pipeline/ask.js';
import type { RetrievedChunk } from '../types.js';

/** Fallback notices (e.g. no BM25 on this server) go to stderr. */
export function notice(message: string): void {
  process.stderr.write(`note: ${message}\n`);
}

/** A notice said once per run, not once per question. */
export function once(say: (message: string) => void): (message: string) => void {
  let said = false;
  return (message) => {
    if (said) return;
    said = true;
    say(message);
  };
}

export function round(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function printHits(hits: readonly RetrievedChunk[]): void {
  hits.forEach((hit, index) => {
    const preview = hit.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .slice(0, 3)
      .join('\n    ');
    const where = hit.headings ? `${hit.source} > ${hit.headings}` : hit.source;
    process.stdout.write(`${index + 1}. [${hit.distance.toFixed(4)}] ${where}\n    ${preview}\n\n`);
  });
}

export const NO_ENDPOINT_HELP =
  'No chat endpoint is configured, so here is the retrieved context without an answer.\n' +
  'To get answers, point milvus-rag at any OpenAI-compatible endpoint, for example:\n' +
  '  export OPENAI_API_KEY=sk-...                                           # OpenAI (gpt-4o-mini by default)\n' +
  '  export MILVUS_RAG_LLM_PROVIDER=nvidia NVIDIA_API_KEY=nvapi-...         # NVIDIA\n' +
  '  export MILVUS_RAG_LLM_PROVIDER=ollama MILVUS_RAG_LLM_MODEL=llama3.2    # Ollama on this machine\n' +
  '  export OPENAI_BASE_URL=http://localhost:8000/v1 MILVUS_RAG_LLM_MODEL=<model>   # vLLM, llama.cpp server, ...\n\n';

/** After a streamed answer: invalid citations on stderr, then the numbered sources, cited ones starred. */
export function printAnswerFooter(done: Extract<AskEvent, { type: 'done' }>, sources: readonly RetrievedChunk[], streamed: boolean): void {
  if (!streamed) process.stdout.write('(the model returned an empty answer)');
  process.stdout.write('\n');
  if (done.invalidCitations.length > 0) {
    const many = done.invalidCitations.length > 1;
    process.stderr.write(
      `note: the answer cites ${done.invalidCitations.map((n) => `[${n}]`).join(' ')}, which ${many ? 'are' : 'is'} not among the ${sources.length} sources; ignored\n`,
    );
  }
  const cited = new Set(done.citations.map((citation) => citation.number));
  process.stdout.write('\nSources:\n');
  sources.forEach((source, index) => {
    const where = `${describeLocation(source.source, anchorOf(source))}${source.headings ? ` > ${source.headings}` : ''}`;
    process.stdout.write(`  [${index + 1}]${cited.has(index + 1) ? '*' : ' '} ${where} (distance ${source.distance.toFixed(4)})\n`);
  });
  if (cited.size > 0) process.stdout.write('  (* cited in the answer)\n');
}

export function hitsToJson(hits: readonly RetrievedChunk[]) {
  return hits.map((hit) => {
    const anchor = anchorOf(hit);
    return {
      id: hit.id,
      distance: hit.distance,
      text: hit.text,
      source: hit.source,
      headings: hit.headings,
      ...anchor,
      location: describeLocation(hit.source, anchor),
    };
  });
}
