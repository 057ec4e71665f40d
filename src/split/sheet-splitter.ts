/**
 * Splits a workbook's sheets into chunks of rows under their sheet's header row, as Markdown
 * tables: each chunk says which sheet and which rows it holds.
 * @module split/sheet-splitter
 */
import type { Chunk, SheetTable } from '../types.js';
import type { CodeBudget } from './code-splitter.js';

export function splitSheets(source: string, sheets: readonly SheetTable[], budget: CodeBudget): Chunk[] {
  const limit = Math.max(16, Math.floor(budget.chunkSize * 0.9));
  const chunks: Chunk[] = [];
  const line = (cells: readonly string[], width: number) =>
    `| ${Array.from({ length: width }, (_, index) => (cells[index] ?? '').replace(/\|/g, '\\|')).join(' | ')} |`;
  for (const sheet of sheets) {
    const width = Math.max(sheet.header.length, ...sheet.rows.map((row) => row.cells.length));
    const head = `${line(sheet.header, width)}\n| ${Array.from({ length: width }, () => '---').join(' | ')} |`;
    const headSize = budget.countTokens(head);
    let rows: Array<{ number: number; text: string }> = [];
    let size = headSize;
    const flush = () => {
      if (rows.length === 0) return;
      chunks.push({
        text: `${head}\n${rows.map((row) => row.text).join('\n')}`,
        source,
        position: chunks.length,
        headings: [sheet.name],
        metadata: { sheet: sheet.name, rows: [rows[0]!.number, rows[rows.length - 1]!.number] },
      });
      rows = [];
      size = headSize;
    };
    for (const row of sheet.rows) {
      const text = line(row.cells, width);
      const rowSize = budget.countTokens(text) + 1;
      if (rows.length > 0 && size + rowSize > limit) flush();
      rows.push({ number: row.number, text });
      size += rowSize;
    }
    flush();
  }
  return chunks;
}
