import type { Chunk } from '../types.js';

/**
 * The text a chunk is embedded and BM25-indexed by: its document title and heading path, then its
 * text. A later chunk of a section, or of a long record, otherwise carries none of the words that
 * say what it is about (measured in docs/retrieval-tuning.md). A leading part the text already
 * starts with (a section's own heading line, a record's title) is not repeated. Undefined when
 * there is nothing to add.
 */
export function indexTextOf(chunk: Pick<Chunk, 'text' | 'headings'>, title: string | undefined): string | undefined {
  const parts: string[] = [];
  for (const part of [title, ...chunk.headings]) {
    const trimmed = part?.trim();
    if (trimmed && parts[parts.length - 1] !== trimmed) parts.push(trimmed);
  }
  const opening = chunk.text.trimStart().replace(/^#{1,6}[ \t]+/, '');
  while (parts.length > 0 && opening.startsWith(parts[parts.length - 1]!)) parts.pop();
  return parts.length === 0 ? undefined : `${parts.join(' > ')}\n\n${chunk.text}`;
}
