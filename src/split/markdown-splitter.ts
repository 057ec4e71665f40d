import { splitFrontMatter } from '../load/front-matter.js';
import type { Chunk, SourceDocument } from '../types.js';
import type { Splitter } from './splitter.js';

/** Options of {@link MarkdownSplitter}. */
export interface MarkdownSplitterOptions {
  /** Largest chunk, in tokens as counted by `countTokens`. Default: 256. */
  chunkSize?: number;
  /** Tokens of the previous chunk repeated at the start of the next one in the same section. Default: 32. */
  chunkOverlap?: number;
  /** Counts tokens. Default: about 4 characters a token, close to WordPiece/SentencePiece on English. */
  countTokens?: (text: string) => number;
  /** Index each chunk with its title and heading path in front (see `Splitter.indexContext`). Default: true. */
  indexContext?: boolean;
}

interface Block {
  kind: 'heading' | 'text' | 'code';
  text: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;

/**
 * The default splitter: Markdown-aware chunks that respect the document's structure.
 *
 * A document is cut at every heading first; each section is then packed, block by block
 * (paragraphs, lists, code), into chunks of at most `chunkSize` tokens, a paragraph that is too long
 * being cut at sentence and then word boundaries. A fenced code block is never cut: one larger than
 * the budget becomes a chunk of its own. Consecutive chunks of a section share `chunkOverlap` tokens.
 * Every chunk carries its heading path (`Product FAQ > Where does Milvus store data?`); YAML front
 * matter goes to `metadata.frontMatter`, not into the text.
 */
export class MarkdownSplitter implements Splitter {
  readonly name = 'markdown';
  readonly indexContext: boolean;
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  readonly #count: (text: string) => number;

  constructor(options: MarkdownSplitterOptions = {}) {
    this.indexContext = options.indexContext ?? true;
    this.chunkSize = options.chunkSize ?? 256;
    this.chunkOverlap = options.chunkOverlap ?? 32;
    if (!(this.chunkSize > 0) || !(this.chunkOverlap >= 0) || this.chunkOverlap >= this.chunkSize) {
      throw new RangeError(`chunk overlap (${this.chunkOverlap}) must be at least 0 and below the chunk size (${this.chunkSize})`);
    }
    this.#count = options.countTokens ?? ((text) => Math.ceil(text.length / 4));
    this.budget = { chunkSize: this.chunkSize, countTokens: this.#count };
  }

  readonly budget: { chunkSize: number; countTokens: (text: string) => number };

  split(document: SourceDocument): Chunk[] {
    const { frontMatter, body } = splitFrontMatter(document.text);
    const metadata: Record<string, unknown> = frontMatter ? { frontMatter } : {};
    const chunks: Chunk[] = [];
    const path: Array<{ level: number; title: string }> = [];
    let section: Block[] = [];
    const flush = () => {
      const headings = path.map((entry) => entry.title);
      for (const text of this.#pack(section)) {
        chunks.push({ text, source: document.source, position: chunks.length, headings, metadata: { ...metadata } });
      }
      section = [];
    };
    for (const block of parseBlocks(body)) {
      if (block.kind === 'heading') {
        flush();
        const match = HEADING.exec(block.text)!;
        const level = match[1]!.length;
        while (path.length > 0 && path[path.length - 1]!.level >= level) path.pop();
        path.push({ level, title: match[2]!.trim() });
      }
      section.push(block);
    }
    flush();
    return chunks;
  }

  /** Packs a section's blocks into chunk texts within the budget, with overlap. */
  #pack(blocks: readonly Block[]): string[] {
    const units = blocks.flatMap((block) => (block.kind === 'text' ? this.#fit(block.text) : [block.text]));
    const texts: string[] = [];
    let current: string[] = [];
    let tokens = 0;
    let fresh = 0; // units in `current` that are not overlap
    for (const unit of units) {
      const size = this.#count(unit);
      if (current.length > 0 && tokens + size > this.chunkSize && fresh > 0) {
        texts.push(current.join('\n\n'));
        current = this.#overlap(current, size);
        tokens = current.reduce((sum, part) => sum + this.#count(part), 0);
        fresh = 0;
      }
      current.push(unit);
      tokens += size;
      fresh += 1;
    }
    if (fresh > 0 && current.some((unit) => unit.trim() !== '')) texts.push(current.join('\n\n'));
    return texts;
  }

  /**
   * The trailing text of a chunk, at most `chunkOverlap` tokens and leaving room for the `next`
   * unit: whole units first; when the last unit alone is too large, its last sentences or words.
   * Code blocks are never repeated.
   */
  #overlap(previous: readonly string[], next: number): string[] {
    const budget = Math.min(this.chunkOverlap, this.chunkSize - next);
    if (budget <= 0) return [];
    const kept: string[] = [];
    let tokens = 0;
    for (let index = previous.length - 1; index >= 0; index--) {
      const unit = previous[index]!;
      // Code blocks and tables are never repeated: a table's rows need their header.
      if (isFence(unit) || tableRows(unit)) break;
      const size = this.#count(unit);
      if (tokens + size <= budget) {
        kept.unshift(unit);
        tokens += size;
        continue;
      }
      if (kept.length === 0) {
        const tail = this.#tail(unit, budget);
        if (tail !== '') kept.unshift(tail);
      }
      break;
    }
    return kept;
  }

  /**
   * The last lines, else sentences, of a text within `budget` tokens (links kept whole). Never
   * loose words: a chunk starts where a reader would, at a line or a sentence, not mid-sentence
   * (`(COS). Milvus ...`); when no whole sentence fits, there is no overlap.
   */
  #tail(text: string, budget: number): string {
    for (const [separator, joiner] of CUTS.slice(0, 2)) {
      const parts = splitOutsideSpans(text, separator);
      let tail = '';
      for (let index = parts.length - 1; index >= 0; index--) {
        const candidate = tail === '' ? parts[index]! : `${parts[index]}${joiner}${tail}`;
        if (this.#count(candidate) > budget) break;
        tail = candidate;
      }
      if (tail !== '') return tail;
    }
    return '';
  }

  /**
   * Cuts a paragraph that is over budget at line ends, then sentence ends, then spaces, into
   * pieces of at most `chunkSize - chunkOverlap` tokens so that each piece still has room for the
   * overlap. A Markdown link, image or code span is never cut, so no chunk starts inside one.
   */
  #fit(text: string): string[] {
    if (this.#count(text) <= this.chunkSize) return [text];
    const table = tableRows(text);
    if (table) return this.#cutTable(table.header, table.rows);
    return this.#cut(text, this.chunkSize - this.chunkOverlap, 0);
  }

  /**
   * A Markdown table too large for one chunk, cut between rows: every piece starts with the
   * header row and its separator, so no row is read without the names of its columns.
   */
  #cutTable(header: string, rows: readonly string[]): string[] {
    const limit = this.chunkSize - this.chunkOverlap;
    const pieces: string[] = [];
    let current: string[] = [];
    for (const row of rows) {
      if (current.length > 0 && this.#count([header, ...current, row].join('\n')) > limit) {
        pieces.push([header, ...current].join('\n'));
        current = [];
      }
      current.push(row);
    }
    if (current.length > 0) pieces.push([header, ...current].join('\n'));
    return pieces;
  }

  #cut(text: string, limit: number, level: number): string[] {
    if (this.#count(text) <= limit || level >= CUTS.length) return [text];
    const [separator, joiner] = CUTS[level]!;
    const parts = splitOutsideSpans(text, separator).flatMap((part) => this.#cut(part, limit, level + 1));
    return this.#packParts(parts, limit, joiner);
  }

  /** Joins parts into pieces of at most `limit` tokens (a single larger part stays whole). */
  #packParts(parts: readonly string[], limit: number, joiner: string): string[] {
    const out: string[] = [];
    let current = '';
    for (const part of parts) {
      const candidate = current === '' ? part : `${current}${joiner}${part}`;
      if (current !== '' && this.#count(candidate) > limit) {
        out.push(current);
        current = part;
      } else {
        current = candidate;
      }
    }
    if (current !== '') out.push(current);
    return out;
  }
}

/** Where a paragraph may be cut, best first, and how its pieces are joined again. */
const CUTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\n+/g, '\n'],
  [/(?<=[.!?][)"']*)[ \t]+(?=\S)/g, ' '],
  [/[ \t]+/g, ' '],
];

/** Inline spans never cut: links and images (`[text](url)`), autolinks (`<https://...>`), code spans. */
const SPAN = /!?\[[^\]\n]*\]\([^)\n]*\)|<[a-z][a-z0-9+.-]*:[^>\s]*>|(`+)[^`\n][\s\S]*?\1/gi;

/** Splits `text` at `separator` matches that do not fall inside a {@link SPAN}; pieces are trimmed, empty ones dropped. */
function splitOutsideSpans(text: string, separator: RegExp): string[] {
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(SPAN)) spans.push([match.index, match.index + match[0].length]);
  const pieces: string[] = [];
  let start = 0;
  for (const match of text.matchAll(separator)) {
    const at = match.index;
    if (spans.some(([from, to]) => at > from && at < to)) continue;
    pieces.push(text.slice(start, at));
    start = at + match[0].length;
  }
  pieces.push(text.slice(start));
  return pieces.map((piece) => piece.trim()).filter((piece) => piece !== '');
}

/** A paragraph that is a Markdown table: its header row with the separator line, and its rows. */
function tableRows(text: string): { header: string; rows: string[] } | undefined {
  const lines = text.split('\n');
  if (lines.length < 3 || !lines.every((line) => line.trim().startsWith('|'))) return undefined;
  if (!/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[1]!)) return undefined;
  return { header: `${lines[0]}\n${lines[1]}`, rows: lines.slice(2) };
}

function isFence(text: string): boolean {
  return FENCE.test(text);
}

/** Splits Markdown into headings, paragraphs (blank-line separated) and whole fenced code blocks. */
function parseBlocks(body: string): Block[] {
  const blocks: Block[] = [];
  const lines = body.split(/\r?\n/);
  let paragraph: string[] = [];
  const endParagraph = () => {
    const text = paragraph.join('\n').trim();
    if (text !== '') blocks.push({ kind: 'text', text });
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const marker = fence[1]!;
      const code = [line];
      // An unclosed fence runs to the end of the document, as in CommonMark.
      while (++index < lines.length) {
        const inner = lines[index]!;
        code.push(inner);
        const close = FENCE.exec(inner);
        if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length && inner.trim() === close[1]) break;
      }
      blocks.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    if (HEADING.test(line)) {
      endParagraph();
      blocks.push({ kind: 'heading', text: line.trim() });
      continue;
    }
    if (line.trim() === '') {
      endParagraph();
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  return blocks;
}
