/**
 * Excel workbooks (`.xlsx`) as tables: one section per sheet, its first non-empty row as the
 * header, the others as rows with their sheet row numbers, so every chunk can say
 * `book.xlsx, sheet Harvest, rows 2-40`. Read with exceljs' streaming reader, row by row.
 * (Record files, `.csv`/`.jsonl` with `--id-field`, stay one record per row.)
 * @module load/xlsx
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { LoadError, messageOf } from '../errors.js';
import type { SheetTable, SourceDocument } from '../types.js';
import type { DocumentSource, SourceEntry } from './source-types.js';

/** The longest text kept of one cell: a sheet is read for its rows, not for pasted documents. */
const MAX_CELL_CHARS = 2_000;

/** Rows of one sheet per document when a workbook is the source itself (see {@link openSheetSource}). */
export const ROWS_PER_DOCUMENT = 500;

/** One row as read: its sheet, its number in the sheet, its cells as text; `header` for a sheet's first row. */
interface SheetRow {
  sheet: string;
  number: number;
  cells: string[];
  header: boolean;
}

/** A workbook's non-empty rows in order, streamed: the file is never held whole. */
async function* sheetRows(input: Readable, location: string): AsyncGenerator<SheetRow> {
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
      sharedStrings: 'cache',
      worksheets: 'emit',
      hyperlinks: 'ignore',
      styles: 'cache',
      entries: 'emit',
    } as ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookReader>[1]);
    let index = 0;
    for await (const worksheet of reader) {
      index += 1;
      const sheet = worksheet as unknown as AsyncIterable<ExcelJS.Row> & { name?: string; id?: number };
      const name = sheet.name ?? `Sheet${sheet.id ?? index}`;
      let first = true;
      for await (const row of sheet) {
        const cells = (Array.isArray(row.values) ? row.values.slice(1) : []).map(cellText);
        if (cells.every((cell) => cell === '')) continue;
        yield { sheet: name, number: row.number, cells, header: first };
        first = false;
      }
    }
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError(
      'load.corrupt',
      `${location} is not a readable Excel workbook (corrupt, or protected by a password): ${messageOf(error)}`,
      {
        cause: error,
        context: { file: location },
      },
    );
  }
}

/** Every sheet of a workbook in memory (a file found in a folder, within --max-file-size). */
export async function readXlsxSheets(bytes: Uint8Array, location: string): Promise<SheetTable[]> {
  const sheets: SheetTable[] = [];
  for await (const row of sheetRows(Readable.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), location)) {
    if (row.header) sheets.push({ name: row.sheet, header: row.cells, rows: [] });
    else sheets[sheets.length - 1]!.rows.push({ number: row.number, cells: row.cells });
  }
  if (sheets.length === 0) throw new LoadError('load.empty-file', `${location} has no rows`, { context: { file: location } });
  return sheets;
}

/** A sheet table as a document: its text (what sync hashes) is its rows as they are. */
export function sheetDocument(source: string, location: string, sheets: SheetTable[]): SourceDocument {
  const text = sheets
    .map((sheet) => [sheet.name, sheet.header.join('\t'), ...sheet.rows.map((row) => `${row.number}\t${row.cells.join('\t')}`)].join('\n'))
    .join('\n\n');
  return { source, text, metadata: { path: location }, sheets };
}

/**
 * A workbook given as the source itself, streamed: a first pass counts each sheet's rows (keeping
 * only its header), then each {@link ROWS_PER_DOCUMENT} rows of a sheet are one document
 * (`book.xlsx#Harvest/1`, `#Harvest/2` ...), read in a second pass as the pipeline asks for them in
 * order. Memory stays bounded by one document whatever the workbook's size, and sync works per
 * block of rows: an edit rewrites only its block.
 */
export async function openSheetSource(file: string, options: { label?: string } = {}): Promise<DocumentSource> {
  const label = options.label ?? file;
  const name = path.basename(file);
  await stat(file).catch((error: unknown) => {
    throw new LoadError('load.not-found', `cannot read ${label}: ${messageOf(error)}`, { cause: error, context: { file: label } });
  });
  const blocks: Array<{ sheet: string; block: number; first: number; last: number }> = [];
  const headers = new Map<string, string[]>();
  let count = 0;
  for await (const row of sheetRows(createReadStream(file), label)) {
    if (row.header) {
      headers.set(row.sheet, row.cells);
      count = 0;
      continue;
    }
    if (count % ROWS_PER_DOCUMENT === 0) {
      blocks.push({ sheet: row.sheet, block: count / ROWS_PER_DOCUMENT + 1, first: row.number, last: row.number });
    }
    blocks[blocks.length - 1]!.last = row.number;
    count += 1;
  }
  if (blocks.length === 0) throw new LoadError('load.empty-file', `${label} has no rows below a header row`, { context: { file: label } });

  // The second pass: rows in file order; asking for an earlier block starts the file again.
  let pass: AsyncIterator<SheetRow> | undefined;
  let pending: SheetRow | undefined;
  const blockOf = (row: SheetRow) =>
    blocks.findIndex((block) => block.sheet === row.sheet && row.number >= block.first && row.number <= block.last);
  async function rowsOf(index: number): Promise<SheetTable['rows']> {
    if (pass === undefined || (pending !== undefined && blockOf(pending) > index)) {
      pass = sheetRows(createReadStream(file), label)[Symbol.asyncIterator]();
      pending = undefined;
    }
    const rows: SheetTable['rows'] = [];
    for (;;) {
      const row = pending ?? (await pass.next()).value;
      pending = undefined;
      if (row === undefined) break;
      if (row.header) continue;
      const at = blockOf(row);
      if (at < index) continue;
      if (at > index) {
        pending = row;
        break;
      }
      rows.push({ number: row.number, cells: row.cells });
    }
    if (rows.length === 0) throw new LoadError('load.changed', `${label} changed while it was read`, { context: { file: label } });
    return rows;
  }

  const entries: SourceEntry[] = blocks.map((block, index) => {
    const source = `${name}#${block.sheet}/${block.block}`;
    const document = async () =>
      sheetDocument(source, `${label}#${block.sheet}`, [
        { name: block.sheet, header: headers.get(block.sheet)!, rows: await rowsOf(index) },
      ]);
    return {
      source,
      location: `${label}#${block.sheet}, rows ${block.first}-${block.last}`,
      size: 0,
      read: async () => Buffer.from((await document()).text),
      readDocument: document,
    };
  });
  return {
    label,
    entries,
    close: async () => {
      await pass?.return?.(undefined);
    },
  };
}

/** A cell as text: its value, a formula's result, rich text's plain text, a date as ISO date. */
function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace(/T00:00:00\.000Z$/, '');
  if (typeof value === 'object') {
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('text' in value) return String(value.text);
    if ('error' in value) return String(value.error);
    return '';
  }
  return String(value).replace(/\s+/g, ' ').trim().slice(0, MAX_CELL_CHARS);
}
