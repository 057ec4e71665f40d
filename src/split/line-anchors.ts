/**
 * Where each chunk of a text file lies: its first and last line (1-based, inclusive), found by
 * locating the chunk's first and last lines in the file's text. Works for any splitter, because
 * chunks are made of the file's own lines and sentences (the splitter only trims and rejoins).
 * @module split/line-anchors
 */
import type { Chunk } from '../types.js';

/** How much of a chunk's first or last line is looked up (long enough to be unique, short enough to survive rejoining). */
const PROBE = 60;

/**
 * Adds `metadata.lines: [first, last]` to each chunk that can be found in `text`, in order: each
 * chunk is looked for from where the previous one started (overlaps repeat text). A chunk that
 * cannot be found (text rewritten by the splitter) gets no lines rather than wrong ones.
 */
export function addLineAnchors(text: string, chunks: Chunk[]): void {
  const lineStarts = [0];
  for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) lineStarts.push(index + 1);
  const lineAt = (offset: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
  let from = 0;
  for (const chunk of chunks) {
    const lines = chunk.text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0) continue;
    const head = lines[0]!.trim().slice(0, PROBE);
    const start = text.indexOf(head, from);
    if (start < 0) continue;
    const tail = lines[lines.length - 1]!.trim().slice(-PROBE);
    const tailAt = text.indexOf(tail, start);
    if (tailAt < 0) continue;
    chunk.metadata = { ...chunk.metadata, lines: [lineAt(start), lineAt(tailAt + tail.length - 1)] };
    from = start;
  }
}
