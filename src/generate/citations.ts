import type { RetrievedChunk } from '../types.js';

/** A source the answer cites, by its number in the prompt (1-based). */
export interface Citation {
  number: number;
  source: string;
  headings: string;
  page?: number;
  distance: number;
}

/** What {@link checkCitations} found in an answer. */
export interface CitationCheck {
  /** Cited sources that exist, in order of first mention. */
  citations: Citation[];
  /** Numbers the answer cites that are not among the sources (hallucinated markers). */
  invalid: number[];
  /** The answer with invalid markers removed (valid ones kept as written). */
  cleaned: string;
}

// `[1]`, `[1, 3]`, `[1,2,3]`; not `[a]`, not `[1.5]`, not markdown links `[1](url)`.
const MARKER = /\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\](?!\()/g;

/** The page of a retrieved chunk, when the chunk came from a PDF. */
export function pageOf(chunk: RetrievedChunk): number | undefined {
  const metadata = chunk.entity.metadata;
  const page = metadata && typeof metadata === 'object' ? (metadata as { page?: unknown }).page : undefined;
  return typeof page === 'number' ? page : undefined;
}

/**
 * Checks every `[n]` marker of an answer against the numbered sources of the prompt. Models cite
 * numbers that were never given (AnythingLLM #826); those are reported and removed, not trusted.
 */
export function checkCitations(answer: string, sources: readonly RetrievedChunk[]): CitationCheck {
  const seen = new Set<number>();
  const invalid = new Set<number>();
  const citations: Citation[] = [];
  const cleaned = answer.replace(MARKER, (_marker, list: string) => {
    const numbers = list.split(',').map((each) => Number(each.trim()));
    const kept: number[] = [];
    for (const number of numbers) {
      const source = sources[number - 1];
      if (number < 1 || !source) {
        invalid.add(number);
        continue;
      }
      kept.push(number);
      if (seen.has(number)) continue;
      seen.add(number);
      const page = pageOf(source);
      citations.push({
        number,
        source: source.source,
        headings: source.headings,
        ...(page === undefined ? {} : { page }),
        distance: source.distance,
      });
    }
    return kept.length === 0 ? '' : `[${kept.join(', ')}]`;
  });
  return { citations, invalid: [...invalid].sort((a, b) => a - b), cleaned: cleaned.replace(/ +([.,;:!?])/g, '$1') };
}
