/**
 * PowerPoint decks (`.pptx`) as one page per slide: the slide's title as a heading, its text in
 * reading order, its tables as Markdown tables, and its speaker notes, marked as notes. The page
 * number is the slide number, so every hit says `deck.pptx, slide 3`.
 *
 * Written here on a zip reader (yauzl) and an XML parser (fast-xml-parser): the npm packages
 * that read PPTX are unmaintained or bring a second PDF engine and OCR along; a deck is a zip of
 * XML parts whose few elements this needs are stable since Office 2007 (ECMA-376).
 * @module load/pptx
 */
import path from 'node:path';
import { LoadError } from '../errors.js';
import { attribute, children, findAll, parseXml, tagOf, type XmlNode } from './xml.js';
import { zipTextParts } from './zip-parts.js';

/** The slides of a deck, in presentation order, each as Markdown text with its number. */
export async function readPptxSlides(bytes: Uint8Array, location: string): Promise<Array<{ page: number; text: string }>> {
  const parts = await zipTextParts(bytes, location, 'PowerPoint deck', /\.(xml|rels)$/);
  const xml = (name: string): XmlNode[] | undefined => {
    const part = parts.get(name);
    return part === undefined ? undefined : parseXml(part);
  };
  const presentation = xml('ppt/presentation.xml');
  const relations = relationsOf(xml('ppt/_rels/presentation.xml.rels'));
  if (presentation === undefined) {
    throw new LoadError('load.corrupt', `${location} is not a PowerPoint deck (no ppt/presentation.xml)`, { context: { file: location } });
  }
  const slideFiles = findAll(presentation, 'p:sldId')
    .map((node) => relations.get(attribute(node, 'r:id') ?? ''))
    .filter((target): target is string => target !== undefined)
    .map((target) => path.posix.join('ppt', target));
  const slides: Array<{ page: number; text: string }> = [];
  for (const [index, file] of slideFiles.entries()) {
    const slide = xml(file);
    if (slide === undefined) continue;
    const blocks = shapeBlocks(slide);
    const title = blocks.find((block) => block.title)?.text ?? blocks.find((block) => !block.table)?.text.split('\n')[0];
    const body = blocks.filter((block) => block.text !== title || block.table).map((block) => block.text);
    // Speaker notes: the notes slide's body placeholder (not its slide image or number).
    const notesTarget = [...relationsOf(xml(relsOf(file))).values()].find((target) => target.includes('notesSlide'));
    const notesXml = notesTarget === undefined ? undefined : xml(path.posix.join(path.posix.dirname(file), notesTarget));
    const notes = notesXml === undefined ? [] : shapeBlocks(notesXml, 'body').map((block) => block.text);
    const text = [
      `# ${title ?? `Slide ${index + 1}`}`,
      ...body,
      ...(notes.length > 0 ? [`Speaker notes: ${notes.join('\n\n')}`] : []),
    ].join('\n\n');
    slides.push({ page: index + 1, text });
  }
  if (slides.every((slide) => slide.text.split('\n\n').length === 1 && /^# Slide \d+$/.test(slide.text))) {
    throw new LoadError('load.empty-file', `${location} has no text on its slides`, { context: { file: location } });
  }
  return slides;
}

/** The text blocks of a slide (or notes slide) in document order: paragraphs of each shape, tables as Markdown. */
function shapeBlocks(root: XmlNode[], onlyPlaceholder?: string): Array<{ text: string; title?: boolean; table?: boolean }> {
  const blocks: Array<{ text: string; title?: boolean; table?: boolean }> = [];
  const visit = (nodes: XmlNode[]) => {
    for (const node of nodes) {
      const tag = tagOf(node);
      if (tag === 'p:sp') {
        const placeholder = findAll(children(node), 'p:ph')[0];
        const type = placeholder ? (attribute(placeholder, 'type') ?? 'body') : undefined;
        if (onlyPlaceholder !== undefined && type !== onlyPlaceholder) continue;
        const text = findAll(children(node), 'a:p')
          .map((paragraph) => textOf(children(paragraph)))
          .filter((line) => line.trim() !== '')
          .join('\n');
        if (text.trim() !== '') blocks.push({ text, ...(type === 'title' || type === 'ctrTitle' ? { title: true } : {}) });
      } else if (tag === 'p:graphicFrame') {
        for (const table of findAll(children(node), 'a:tbl')) blocks.push({ text: markdownTable(table), table: true });
      } else if (tag !== undefined) {
        visit(children(node));
      }
    }
  };
  visit(root);
  return blocks;
}

/** A table as Markdown, its first row as the header row. */
function markdownTable(table: XmlNode): string {
  const rows = findAll(children(table), 'a:tr').map((row) =>
    findAll(children(row), 'a:tc').map((cell) =>
      findAll(children(cell), 'a:p')
        .map((paragraph) => textOf(children(paragraph)))
        .join(' ')
        .replace(/\|/g, '\\|')
        .trim(),
    ),
  );
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((row) => row.length));
  const line = (cells: string[]) => `| ${Array.from({ length: width }, (_, index) => cells[index] ?? '').join(' | ')} |`;
  return [line(rows[0]!), `| ${Array.from({ length: width }, () => '---').join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

/** The concatenated `a:t` text under some nodes (line breaks `a:br` as spaces). */
function textOf(nodes: XmlNode[]): string {
  let text = '';
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === 'a:t')
      text += children(node)
        .map((child) => String(child['#text'] ?? ''))
        .join('');
    else if (tag === 'a:br') text += ' ';
    else if (tag !== undefined) text += textOf(children(node));
  }
  return text;
}

/** Relationship id -> target, of a `.rels` part. */
function relationsOf(rels: XmlNode[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const relation of findAll(rels ?? [], 'Relationship')) {
    const id = attribute(relation, 'Id');
    const target = attribute(relation, 'Target');
    if (id !== undefined && target !== undefined) map.set(id, target);
  }
  return map;
}

function relsOf(part: string): string {
  return path.posix.join(path.posix.dirname(part), '_rels', `${path.posix.basename(part)}.rels`);
}
