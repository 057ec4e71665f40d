/**
 * Word documents (`.docx`) as Markdown: mammoth reads the document's structure (headings by
 * style, lists, tables, emphasis) into HTML, and turndown with the GitHub tables rule writes it
 * as Markdown. Headings become Markdown headings (so chunks get heading paths), lists stay lists,
 * and tables become Markdown tables with their header row.
 * @module load/docx
 */
import { gfm } from '@joplin/turndown-plugin-gfm';
import mammoth from 'mammoth';
import TurndownService from 'turndown';
import { LoadError, messageOf } from '../errors.js';

let turndown: TurndownService | undefined;

/** HTML to Markdown, with GitHub tables; one converter for the process. */
export function htmlToMarkdown(html: string): string {
  if (turndown === undefined) {
    turndown = new TurndownService({ headingStyle: 'atx', bulletListMarker: '-', codeBlockStyle: 'fenced', emDelimiter: '*' });
    turndown.use(gfm);
    // The GFM table rule reads `table.rows` once per row of a table for the heading row's column
    // count and alignment, and turndown's DOM (domino) rebuilds `rows` on every read: quadratic,
    // a 3,000-row Word table took 73 s (bench:parse). This rule is tried first (turndown tries the
    // last added first), only pins each table's rows once, and never claims a node.
    turndown.addRule('pinTableRows', {
      filter: (node) => {
        if (node.nodeName === 'TABLE' && !Object.hasOwn(node, 'rows')) {
          Object.defineProperty(node, 'rows', { value: Array.from((node as unknown as { rows: ArrayLike<unknown> }).rows) });
        }
        return false;
      },
      replacement: (content) => content,
    });
  }
  return turndown.turndown(withHeaderRows(html)).trim();
}

export async function docxToMarkdown(bytes: Uint8Array, location: string): Promise<string> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })).value;
  } catch (error) {
    // Not a zip, a zip without a Word document in it, or an encrypted file (which is not a zip).
    throw new LoadError(
      'load.corrupt',
      `${location} is not a readable Word document (corrupt, or protected by a password): ${messageOf(error)}`,
      {
        cause: error,
        context: { file: location },
      },
    );
  }
  const markdown = htmlToMarkdown(html);
  if (markdown === '') throw new LoadError('load.empty-file', `${location} has no text`, { context: { file: location } });
  return markdown;
}

/**
 * Tables whose first row is not marked as a header get it as their header row: a Markdown table
 * needs one, and in documents the first row nearly always names the columns.
 */
function withHeaderRows(html: string): string {
  return html.replace(/<table>([\s\S]*?)<\/table>/g, (table: string, inner: string) => {
    if (inner.includes('<th')) return table;
    const fixed = inner.replace(
      /<tr>([\s\S]*?)<\/tr>/,
      (_row: string, cells: string) => `<thead><tr>${cells.replace(/<td(\s|>)/g, '<th$1').replace(/<\/td>/g, '</th>')}</tr></thead>`,
    );
    return `<table>${fixed}</table>`;
  });
}
