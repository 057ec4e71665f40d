import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import yazl from 'yazl';

/** Writes a real PDF with one page per entry of `pages` (lines drawn as text; '' = a page with no text). */
export async function writePdf(file: string, pages: readonly string[]): Promise<void> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  for (const text of pages) {
    const page = document.addPage([595, 842]);
    if (text === '') {
      // An image-only page, as a scan would have: shapes, no text layer.
      page.drawRectangle({ x: 50, y: 50, width: 200, height: 100 });
      continue;
    }
    text.split('\n').forEach((line, index) => page.drawText(line, { x: 40, y: 800 - index * 16, size: 11, font }));
  }
  await writeFile(file, await document.save());
}

/** Writes a real zip (deflated entries) with the given names and contents. */
export async function writeZip(file: string, entries: Record<string, string | Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(entries)) {
    zip.addBuffer(typeof content === 'string' ? Buffer.from(content) : content, name, { compress: true });
  }
  zip.end();
  const output = createWriteStream(file);
  zip.outputStream.pipe(output);
  await once(output, 'close');
}

/** A deterministic pseudo-random generator (Park-Miller): the same seed makes the same test folder every run. */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/** Writes a real Word document: a title, a section with a paragraph, and a table whose first row is its header. */
export async function writeDocx(
  file: string,
  content: { title: string; section: string; paragraph: string; table: string[][] },
): Promise<void> {
  const { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow } = await import('docx');
  const row = (cells: string[]) => new TableRow({ children: cells.map((text) => new TableCell({ children: [new Paragraph(text)] })) });
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: content.title, heading: HeadingLevel.HEADING_1 }),
          new Paragraph({ text: content.section, heading: HeadingLevel.HEADING_2 }),
          new Paragraph(content.paragraph),
          new Table({ rows: content.table.map(row) }),
        ],
      },
    ],
  });
  await writeFile(file, await Packer.toBuffer(document));
}

/** Writes a real PowerPoint deck: one slide per entry, with its title, body lines and speaker notes. */
export async function writePptx(
  file: string,
  slides: ReadonlyArray<{ title: string; body?: string; notes?: string; table?: string[][] }>,
): Promise<void> {
  // What this helper uses of pptxgenjs (its default export's types do not construct under nodenext).
  interface Slide {
    addText(text: string, options: Record<string, unknown>): void;
    addTable(rows: Array<Array<{ text: string }>>, options: Record<string, unknown>): void;
    addNotes(notes: string): void;
  }
  const PptxGenJS = (await import('pptxgenjs')).default as unknown as new () => {
    addSlide(): Slide;
    write(options: { outputType: 'nodebuffer' }): Promise<unknown>;
  };
  const deck = new PptxGenJS();
  for (const content of slides) {
    const slide = deck.addSlide();
    slide.addText(content.title, { x: 0.5, y: 0.3, w: 9, h: 1, fontSize: 28 });
    if (content.body) slide.addText(content.body, { x: 0.5, y: 1.5, w: 9, h: 1 });
    if (content.table)
      slide.addTable(
        content.table.map((cells) => cells.map((text) => ({ text }))),
        { x: 0.5, y: 3, w: 8 },
      );
    if (content.notes) slide.addNotes(content.notes);
  }
  await writeFile(file, (await deck.write({ outputType: 'nodebuffer' })) as Buffer);
}

/** Writes a real Excel workbook: one sheet per entry, its rows as given (the first is the header). */
export async function writeXlsx(file: string, sheets: Record<string, Array<Array<string | number>>>): Promise<void> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const sheet = workbook.addWorksheet(name);
    for (const row of rows) sheet.addRow(row);
  }
  await writeFile(file, Buffer.from(await workbook.xlsx.writeBuffer()));
}
