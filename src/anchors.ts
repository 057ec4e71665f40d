/**
 * Where a chunk lies in its document, as stored in its metadata by the splitter: lines of a text
 * or code file, the page of a PDF (a slide of a deck). Shown with every hit and citation.
 * @module anchors
 */
import type { RetrievedChunk } from './types.js';

/** A chunk's place in its document; each part only where the format has it. */
export interface Anchor {
  /** 1-based page of a PDF, slide of a presentation. */
  page?: number;
  /** First and last line, 1-based and inclusive, of a text, Markdown or code file. */
  lines?: [number, number];
  /** First and last cell, 1-based, of a notebook. */
  cells?: [number, number];
  /** The sheet of a workbook, and the first and last of its rows (sheet row numbers). */
  sheet?: string;
  rows?: [number, number];
}

/** The anchor stored with a retrieved chunk (its `metadata` field). */
export function anchorOf(chunk: Pick<RetrievedChunk, 'entity'>): Anchor {
  const metadata = chunk.entity.metadata;
  if (metadata === null || typeof metadata !== 'object') return {};
  const { page, lines, cells, sheet, rows } = metadata as {
    page?: unknown;
    lines?: unknown;
    cells?: unknown;
    sheet?: unknown;
    rows?: unknown;
  };
  const pair = (value: unknown): [number, number] | undefined =>
    Array.isArray(value) && value.length === 2 && value.every((item) => Number.isInteger(item)) ? [value[0], value[1]] : undefined;
  const range = pair(lines);
  const cellRange = pair(cells);
  const rowRange = pair(rows);
  return {
    ...(typeof sheet === 'string' ? { sheet } : {}),
    ...(rowRange === undefined ? {} : { rows: rowRange }),
    ...(typeof page === 'number' ? { page } : {}),
    ...(range === undefined ? {} : { lines: range }),
    ...(cellRange === undefined ? {} : { cells: cellRange }),
  };
}

/** `src/quantile.py:19-25`, `guide.pdf, page 4`, `deck.pptx, slide 3`, `nb.ipynb, cells 2-3`, `book.xlsx, sheet Q1, rows 2-9`, or the source alone. */
export function describeLocation(source: string, anchor: Anchor): string {
  if (anchor.lines) return `${source}:${anchor.lines[0] === anchor.lines[1] ? anchor.lines[0] : `${anchor.lines[0]}-${anchor.lines[1]}`}`;
  if (anchor.sheet !== undefined) {
    const rows =
      anchor.rows === undefined
        ? ''
        : anchor.rows[0] === anchor.rows[1]
          ? `, row ${anchor.rows[0]}`
          : `, rows ${anchor.rows[0]}-${anchor.rows[1]}`;
    return `${source}, sheet ${anchor.sheet}${rows}`;
  }
  if (anchor.cells)
    return `${source}, ${anchor.cells[0] === anchor.cells[1] ? `cell ${anchor.cells[0]}` : `cells ${anchor.cells[0]}-${anchor.cells[1]}`}`;
  if (anchor.page !== undefined) return `${source}, ${/\.(pptx|odp)$/i.test(source) ? 'slide' : 'page'} ${anchor.page}`;
  return source;
}
