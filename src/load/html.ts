import { convert, type FormatCallback } from 'html-to-text';

/** Elements that are page furniture rather than content. */
const SKIPPED = ['head', 'script', 'style', 'noscript', 'template', 'svg', 'nav', 'header', 'footer', 'aside', 'form', 'button', 'iframe'];

const heading: FormatCallback = (element, walk, builder, formatOptions) => {
  const level = Number(String(element.name).slice(1)) || 1;
  builder.openBlock({ leadingLineBreaks: formatOptions.leadingLineBreaks ?? 2 });
  builder.addLiteral(`${'#'.repeat(level)} `);
  walk(element.children, builder);
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks ?? 2 });
};

const codeBlock: FormatCallback = (element, walk, builder, formatOptions) => {
  builder.openBlock({ isPre: true, leadingLineBreaks: formatOptions.leadingLineBreaks ?? 2 });
  builder.addLiteral('```\n');
  walk(element.children, builder);
  builder.addLiteral('\n```');
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks ?? 2 });
};

/**
 * Turns an HTML page into readable text for embedding: no tags, scripts, styles or navigation,
 * links as their words only. Headings come out as Markdown `#` lines and `<pre>` blocks as fenced
 * code, so the Markdown splitter keeps heading paths and never cuts code. The `<title>` is
 * returned apart, as metadata.
 */
export function htmlToText(html: string): { text: string; title: string | undefined } {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.replace(/\s+/g, ' ').trim();
  const text = convert(html, {
    wordwrap: false,
    formatters: { mdHeading: heading, mdCode: codeBlock },
    selectors: [
      ...SKIPPED.map((selector) => ({ selector, format: 'skip' })),
      ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: 'mdHeading' })),
      { selector: 'pre', format: 'mdCode' },
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'ul', options: { itemPrefix: '- ' } },
      { selector: 'table', format: 'dataTable' },
    ],
  });
  return { text: text.trim(), title: title ? decodeEntities(title) : undefined };
}

function decodeEntities(text: string): string {
  return convert(text, { wordwrap: false });
}
