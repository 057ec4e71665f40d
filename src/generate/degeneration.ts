/**
 * How a small model's answer goes wrong when it runs on: a sentence said twice, a four-word run
 * looping, a Markdown heading copied from the context ("#### Where does Milvus store data?").
 * {@link findDegeneration} judges a finished answer (answer evaluation); {@link LoopGuard} watches
 * a stream and says where to cut it (local generation stops there).
 * @module generate/degeneration
 */

export type DegenerationKind = 'repeated-sentence' | 'repeated-4gram' | 'copied-heading' | 'repeated-characters';

export interface Degeneration {
  kind: DegenerationKind;
  /** Where the degenerate part starts in the text: what comes before it is kept. */
  at: number;
  /** The repeated sentence, the 4-gram or the heading line. */
  evidence: string;
}

/** Citation markers and spacing do not make a sentence different. */
const normalize = (text: string) =>
  text
    .toLowerCase()
    .replace(/\[\d+(?:\s*,\s*\d+)*\]/g, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Sentences with their start offsets: ends at . ! ? followed by space, or at a line end. */
function sentences(text: string): Array<{ text: string; at: number }> {
  const found: Array<{ text: string; at: number }> = [];
  const pattern = /[^.!?\n]+(?:[.!?]+(?:\s*\[\d+(?:\s*,\s*\d+)*\])?|(?=\n)|$)/g;
  for (const match of text.matchAll(pattern)) {
    const sentence = match[0];
    const lead = sentence.length - sentence.trimStart().length;
    if (sentence.trim() !== '') found.push({ text: sentence.trim(), at: match.index + lead });
  }
  return found;
}

/**
 * The first sign of degeneration in `text`, or undefined:
 * - a Markdown heading line (`#`..`######`), which an answer never needs and a small model copies
 *   from the context;
 * - a sentence of 4+ words said again (citations and punctuation aside);
 * - a 4-word run that comes back three times, or right after itself ("a b c d a b c d");
 * - 1 to 4 characters repeated 10 times in a row ("$1000000000000...").
 */
export function findDegeneration(text: string): Degeneration | undefined {
  const found: Degeneration[] = [];
  // A heading at a line start, or a `##`..`######` marker inside a line (a model writing the
  // context's headings on one line); prose never has either.
  const heading = /^[ \t]*#{1,6}[ \t]+\S[^\n]*|(?<=\s)#{2,6}[ \t]+\S[^\n#]*/m.exec(text);
  if (heading) found.push({ kind: 'copied-heading', at: heading.index, evidence: heading[0].trim() });

  // A unit of 1 to 4 characters said 10 times in a row ("$1000000000000..."): a loop inside a word.
  const run = /(\S{1,4}?)\1{9,}/u.exec(text);
  if (run) found.push({ kind: 'repeated-characters', at: run.index, evidence: run[0].slice(0, 40) });

  const seen = new Set<string>();
  for (const sentence of sentences(text)) {
    const key = normalize(sentence.text);
    if (key.split(' ').length < 4) continue;
    if (seen.has(key)) {
      found.push({ kind: 'repeated-sentence', at: sentence.at, evidence: sentence.text });
      break;
    }
    seen.add(key);
  }

  const words = [...text.matchAll(/[\p{L}\p{N}]+/gu)].map((match) => ({ word: match[0].toLowerCase(), at: match.index }));
  const grams = new Map<string, number[]>();
  for (let index = 0; index + 4 <= words.length; index++) {
    const gram = words
      .slice(index, index + 4)
      .map((entry) => entry.word)
      .join(' ');
    const starts = grams.get(gram) ?? [];
    starts.push(index);
    grams.set(gram, starts);
    const adjacent = starts.length >= 2 && index - starts[starts.length - 2]! === 4;
    if (starts.length >= 3 || adjacent) {
      // Cut where the run came back the first time: the first telling of it is kept.
      found.push({ kind: 'repeated-4gram', at: words[starts[1]!]!.at, evidence: gram });
      break;
    }
  }
  return found.sort((a, b) => a.at - b.at)[0];
}

/**
 * Watches a streamed answer: {@link push} each chunk; once the text degenerates it returns the
 * length to keep (the text before the first degenerate part), and the caller stops generating.
 */
export class LoopGuard {
  #text = '';
  #checkedTo = 0;

  get text(): string {
    return this.#text;
  }

  /** Adds a chunk; returns the length of text to keep once it degenerates, else undefined. */
  push(chunk: string): number | undefined {
    this.#text += chunk;
    // Judged at sentence and line ends, and every 80 characters: cheap, and early enough.
    if (!/[.!?\n]/.test(chunk) && this.#text.length - this.#checkedTo < 80) return undefined;
    this.#checkedTo = this.#text.length;
    const found = findDegeneration(this.#text);
    return found === undefined ? undefined : found.at;
  }
}
