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
