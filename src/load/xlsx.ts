/**
 * Excel workbooks (`.xlsx`) as tables: one section per sheet, its first non-empty row as the
 * header, the others as rows with their sheet row numbers, so every chunk can say
 * `book.xlsx, sheet Harvest, rows 2-40`. Read with exceljs' streaming reader, row by row.
 * (Record files, `.csv`/`.jsonl` with `--id-field`, stay one record per row.)
 * @module load/xlsx
 */
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { LoadError, messageOf } from '../errors.js';
import type { SheetTable } from '../types.js';

/** The longest text kept of one cell: a sheet is read for its rows, not for pasted documents. */
const MAX_CELL_CHARS = 2_000;

export async function readXlsxSheets(bytes: Uint8Array, location: string): Promise<SheetTable[]> {
  const sheets: SheetTable[] = [];
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), {
      sharedStrings: 'cache',
      worksheets: 'emit',
      hyperlinks: 'ignore',
      styles: 'cache',
      entries: 'emit',
    } as ConstructorParameters<typeof ExcelJS.stream.xlsx.WorkbookReader>[1]);
    for await (const worksheet of reader) {
      const sheet = worksheet as unknown as AsyncIterable<ExcelJS.Row> & { name?: string; id?: number };
      let header: string[] | undefined;
      const rows: SheetTable['rows'] = [];
      for await (const row of sheet) {
        const cells = (Array.isArray(row.values) ? row.values.slice(1) : []).map(cellText);
        if (cells.every((cell) => cell === '')) continue;
        if (header === undefined) header = cells;
        else rows.push({ number: row.number, cells });
      }
      if (header !== undefined) sheets.push({ name: sheet.name ?? `Sheet${sheet.id ?? sheets.length + 1}`, header, rows });
    }
  } catch (error) {
    throw new LoadError(
      'load.corrupt',
      `${location} is not a readable Excel workbook (corrupt, or protected by a password): ${messageOf(error)}`,
      {
        cause: error,
        context: { file: location },
      },
    );
  }
  if (sheets.length === 0) throw new LoadError('load.empty-file', `${location} has no rows`, { context: { file: location } });
  return sheets;
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
