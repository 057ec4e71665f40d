/**
 * Splits source code and config files at their definitions (as the loader's parser found them),
 * else in line windows: every chunk is whole lines of the file, carries its lines, and has the
 * definition path (`Class > method`) as its heading path.
 * @module split/code-splitter
 */
import type { Chunk, CodeSection, SourceDocument } from '../types.js';

/** How large a chunk may be, and how tokens are counted. */
export interface CodeBudget {
  chunkSize: number;
  countTokens: (text: string) => number;
}

interface Unit {
  first: number;
  last: number;
  path: string[];
  definition: boolean;
  /** The start of a definition cut at its nested ones (a class's signature and fields, a function's first lines). */
  header?: boolean;
}

/**
 * The chunks of a code document: a definition that fits the budget is one chunk (with the
 * comments and imports just before it when they fit too), a larger one is cut at its nested
 * definitions (a class at its methods), and whatever is still too large in line windows. Code
 * between definitions joins its neighbours up to the budget; two definitions never share a chunk. A line longer than the budget (minified
 * code) is cut into pieces that keep its line number.
 */
export function splitCode(document: SourceDocument, budget: CodeBudget): Chunk[] {
  const lines = document.text.split('\n').map((line) => line.replace(/\r$/, ''));
  const tokens = lines.map((line) => budget.countTokens(line) + 1);
  // Token sums of lines are a little off from counting the joined text: keep a margin.
  const limit = Math.max(16, Math.floor(budget.chunkSize * 0.9));
  const size = (first: number, last: number) => {
    let sum = 0;
    for (let line = first; line <= last; line++) sum += tokens[line - 1]!;
    return sum;
  };
  const sections = document.code?.sections ?? [];

  const units: Unit[] = [];
  const glue = (first: number, last: number, path: string[], header = false) => {
    if (first <= last) units.push({ first, last, path, definition: false, ...(header ? { header } : {}) });
  };
  const cover = (first: number, last: number, path: string[], depth: number) => {
    const children = sections.filter(
      (section) =>
        section.path.length === depth + 1 && startsWith(section.path, path) && section.lines[0] >= first && section.lines[1] <= last,
    );
    let at = first;
    for (const child of children) {
      if (child.lines[0] < at) continue; // overlapping definitions: the first one wins
      glue(at, child.lines[0] - 1, path, at === first && depth > 0);
      if (size(child.lines[0], child.lines[1]) <= limit) {
        units.push({ first: child.lines[0], last: child.lines[1], path: child.path, definition: true });
      } else {
        cover(child.lines[0], child.lines[1], child.path, depth + 1);
      }
      at = child.lines[1] + 1;
    }
    glue(at, last, path);
  };
  cover(1, lines.length, [], 0);

  // Pack: neighbours join while they fit; a unit too large alone is cut in line windows.
  const pieces: Array<{ first: number; last: number; headings: string[]; text?: string }> = [];
  let current: Unit[] = [];
  let currentSize = 0;
  const flush = () => {
    if (current.length === 0) return;
    pieces.push({ first: current[0]!.first, last: current[current.length - 1]!.last, headings: headingsOf(current) });
    current = [];
    currentSize = 0;
  };
  for (const unit of units) {
    const unitSize = size(unit.first, unit.last);
    if (unitSize > limit) {
      flush();
      for (const window of lineWindows(unit.first, unit.last, lines, tokens, limit)) pieces.push({ ...window, headings: unit.path });
      continue;
    }
    // Each definition starts a chunk of its own (after the comments and imports just before it),
    // so a hit names the one function or class it holds.
    const holdsDefinition = current.some((each) => each.definition);
    if (current.length > 0 && (currentSize + unitSize > limit || (unit.definition && holdsDefinition))) flush();
    current.push(unit);
    currentSize += unitSize;
  }
  flush();

  const chunks: Chunk[] = [];
  for (const piece of pieces) {
    const text = piece.text ?? lines.slice(piece.first - 1, piece.last).join('\n');
    if (text.trim() === '') continue;
    // Lines that are blank at either end are not part of what the chunk shows.
    let first = piece.first;
    let last = piece.last;
    while (first < last && lines[first - 1]!.trim() === '') first++;
    while (last > first && lines[last - 1]!.trim() === '') last--;
    chunks.push({
      text: piece.text ?? lines.slice(first - 1, last).join('\n'),
      source: document.source,
      position: chunks.length,
      headings: piece.headings,
      metadata: { lines: [first, last], ...(document.code ? { language: document.code.language } : {}) },
    });
  }
  return chunks;
}

/**
 * The heading path of packed units: the definition whose start is in it (a header), else the one
 * definition's, else what the definitions share.
 */
function headingsOf(units: readonly Unit[]): string[] {
  const header = units.find((unit) => unit.header);
  if (header) return header.path;
  const definitions = units.filter((unit) => unit.definition);
  const paths = (definitions.length > 0 ? definitions : units).map((unit) => unit.path);
  let shared = paths[0]!;
  for (const path of paths.slice(1)) {
    let length = 0;
    while (length < shared.length && length < path.length && shared[length] === path[length]) length++;
    shared = shared.slice(0, length);
  }
  return shared;
}

/** Lines `first..last` in windows of at most `limit` tokens, ending at a blank line where one is near. */
function lineWindows(
  first: number,
  last: number,
  lines: readonly string[],
  tokens: readonly number[],
  limit: number,
): Array<{ first: number; last: number; text?: string }> {
  const windows: Array<{ first: number; last: number; text?: string }> = [];
  let start = first;
  while (start <= last) {
    const single = tokens[start - 1]!;
    if (single > limit) {
      // One line over the budget (minified code, a data blob): cut by characters, same line number.
      const line = lines[start - 1]!;
      const step = Math.max(1, Math.floor((line.length * limit) / single));
      for (let offset = 0; offset < line.length; offset += step)
        windows.push({ first: start, last: start, text: line.slice(offset, offset + step) });
      start += 1;
      continue;
    }
    let end = start;
    let sum = single;
    while (end < last && sum + tokens[end]! <= limit && tokens[end]! <= limit) {
      sum += tokens[end]!;
      end += 1;
    }
    if (end < last) {
      // Prefer to end at a blank line in the second half of the window.
      for (let line = end; line > start + (end - start) / 2; line--) {
        if (lines[line - 1]!.trim() === '') {
          end = line;
          break;
        }
      }
    }
    windows.push({ first: start, last: end });
    start = end + 1;
  }
  return windows;
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((name, index) => path[index] === name);
}

export type { CodeSection };
