/**
 * Jupyter notebooks as Markdown: markdown cells as they are, code cells as fenced code in the
 * kernel's language, in order. Outputs are dropped: they are often large (base64 images, long
 * logs) and were made by the code, not written by people.
 * @module load/notebook
 */
import { LoadError } from '../errors.js';

/** A notebook's text, and where each cell starts in it (0-based line numbers), for cell anchors. */
export interface NotebookText {
  text: string;
  cellStarts: number[];
}

export function notebookToMarkdown(json: string, location: string): NotebookText {
  let notebook: unknown;
  try {
    notebook = JSON.parse(json);
  } catch (error) {
    throw new LoadError('load.notebook', `${location} is not a Jupyter notebook (not valid JSON)`, {
      cause: error,
      context: { file: location },
    });
  }
  const cells = (notebook as { cells?: unknown })?.cells;
  if (!Array.isArray(cells)) {
    throw new LoadError('load.notebook', `${location} is not a Jupyter notebook (no "cells" list)`, { context: { file: location } });
  }
  const metadata = (notebook as { metadata?: { kernelspec?: { language?: unknown }; language_info?: { name?: unknown } } }).metadata;
  const language = String(metadata?.language_info?.name ?? metadata?.kernelspec?.language ?? 'python');
  const parts: string[] = [];
  const cellStarts: number[] = [];
  let line = 0;
  for (const cell of cells as Array<{ cell_type?: unknown; source?: unknown }>) {
    const source = Array.isArray(cell?.source) ? cell.source.join('') : typeof cell?.source === 'string' ? cell.source : '';
    if (source.trim() === '') {
      cellStarts.push(line);
      continue;
    }
    const text = cell.cell_type === 'code' ? `\`\`\`${language}\n${source.replace(/\n$/, '')}\n\`\`\`` : source.replace(/\n$/, '');
    cellStarts.push(line);
    parts.push(text);
    line += text.split('\n').length + 1; // the blank line between cells
  }
  const text = parts.join('\n\n');
  if (text.trim() === '') throw new LoadError('load.empty-file', `${location} has no cells with text`, { context: { file: location } });
  return { text, cellStarts };
}
