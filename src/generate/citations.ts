import { anchorOf } from '../anchors.js';
import type { RetrievedChunk } from '../types.js';

/** A source the answer cites, by its number in the prompt (1-based). */
export interface Citation {
  number: number;
  source: string;
  headings: string;
  page?: number;
  /** First and last line of a text or code file. */
  lines?: [number, number];
  /** First and last cell of a notebook. */
  cells?: [number, number];
  /** The sheet and rows of a workbook. */
  sheet?: string;
  rows?: [number, number];
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
  return anchorOf(chunk).page;
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
      citations.push({
        number,
        source: source.source,
        headings: source.headings,
        ...anchorOf(source),
        distance: source.distance,
      });
    }
    return kept.length === 0 ? '' : `[${kept.join(', ')}]`;
  });
  const tidy = cleaned
    // `[3] [3] [3]`: small models repeat a marker; once says the same.
    .replace(/(\[([\d, ]+)\])(?:\s*\[\2\])+/g, '$1')
    .replace(/ +([.,;:!?])/g, '$1');
  return { citations, invalid: [...invalid].sort((a, b) => a - b), cleaned: tidy };
}

/** Limits of the answers {@link citationGrammar} allows. */
export interface CitationGrammarOptions {
  /** Most sentences. Default: 4. */
  maxSentences?: number;
}

/**
 * A GBNF grammar (llama.cpp) for answers that must cite: one to `maxSentences` sentences, each
 * ending in one to three markers ` [n]` whose numbers exist among the `sourceCount` sources.
 * Small local models rarely follow a citation instruction; decoding under this grammar makes
 * every sentence cite, and only sources that were given. It also bounds the answer, which keeps
 * a small base model from rambling on.
 */
export function citationGrammar(sourceCount: number, options: CitationGrammarOptions = {}): string {
  const numbers = sourceNumbers(sourceCount);
  const maxSentences = options.maxSentences ?? 4;
  return [
    `root ::= " "? sentence (" " sentence){0,${maxSentences - 1}} "\\n"?`,
    `sentence ::= piece+ [.!?]? marker{1,3}`,
    // Unbounded repetitions: llama.cpp expands x{1,400} into 400 nested rules, which made
    // decoding 4x slower (bench:llm); sentences end by the full-stop rule, answers by max tokens.
    // A line break ends the answer (base models end a transcript turn so, not with an EOS).
    // A sentence ends in its markers, after its full stop ("... logs. [1]"); inside, a full stop
    // is only allowed within a word or a number ("2.4", "e.g"). No brackets but Markdown links (the FAQ has them, with text that
    // is not a number), so the only bare markers are checked ones; no newlines, so a base model
    // cannot drift into writing the next question of a made-up transcript.
    `piece ::= [^\\[\\]\\n.!?] | [.!?] [^\\[\\]\\n.!? ] | link`,
    `link ::= "[" [^\\[\\]\\n0-9 ] [^\\[\\]\\n]* "](" [^()\\[\\]\\n ]+ ")"`,
    `marker ::= " [" number "]"`,
    `number ::= ${numbers}`,
  ].join('\n');
}

/** The end of a cut sentence: a source number and `]`, after an opening ` [`. */
export function markerGrammar(sourceCount: number): string {
  return `root ::= (${sourceNumbers(sourceCount)}) "]"`;
}

/** `"1" | "2" | ... | "n"`, the GBNF alternatives of the source numbers. */
function sourceNumbers(sourceCount: number): string {
  if (!Number.isInteger(sourceCount) || sourceCount < 1)
    throw new RangeError(`a citation grammar needs at least one source, got ${sourceCount}`);
  return Array.from({ length: sourceCount }, (_, index) => `"${index + 1}"`).join(' | ');
}
