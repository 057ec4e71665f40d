/**
 * EPUB books as Markdown: the chapters in spine order (the reading order the book declares), each
 * as Markdown from its XHTML (turndown, as for Word documents), each starting with its title as a
 * heading, so chunks get `Chapter > Section` heading paths.
 * @module load/epub
 */
import path from 'node:path';
import { LoadError } from '../errors.js';
import { htmlToMarkdown } from './docx.js';
import { attribute, children, findAll, parseXml, tagOf } from './xml.js';
import { zipTextParts } from './zip-parts.js';

export async function epubToMarkdown(bytes: Uint8Array, location: string): Promise<string> {
  const parts = await zipTextParts(bytes, location, 'EPUB book', /\.(xml|opf|x?html?|ncx)$/i);
  const broken = (why: string) =>
    new LoadError('load.corrupt', `${location} is not a readable EPUB book: ${why}`, { context: { file: location } });
  const container = parts.get('META-INF/container.xml');
  if (container === undefined) throw broken('no META-INF/container.xml');
  const opfPath = findAll(parseXml(container), 'rootfile')
    .map((node) => attribute(node, 'full-path'))
    .find((value) => value !== undefined);
  const opf = opfPath === undefined ? undefined : parts.get(opfPath);
  if (opfPath === undefined || opf === undefined) throw broken('its container names no package file');
  const packageXml = parseXml(opf);
  // The manifest: id -> file (relative to the package file); the spine: ids in reading order.
  const manifest = new Map<string, string>();
  for (const item of findAll(packageXml, 'item').concat(findAll(packageXml, 'opf:item'))) {
    const id = attribute(item, 'id');
    const href = attribute(item, 'href');
    if (id !== undefined && href !== undefined) manifest.set(id, path.posix.join(path.posix.dirname(opfPath), decodeURIComponent(href)));
  }
  const spine = findAll(packageXml, 'itemref')
    .concat(findAll(packageXml, 'opf:itemref'))
    .map((node) => manifest.get(attribute(node, 'idref') ?? ''));
  const chapters: string[] = [];
  for (const file of spine) {
    const html = file === undefined ? undefined : parts.get(file);
    if (html === undefined) continue; // a spine entry without its file: the other chapters still count
    let markdown = htmlToMarkdown(bodyOf(html));
    if (markdown === '') continue;
    if (!/^#{1,6} /.test(markdown)) {
      const title = titleOf(html) ?? path.posix.basename(file!, path.posix.extname(file!));
      markdown = `# ${title}\n\n${markdown}`;
    }
    chapters.push(markdown);
  }
  if (chapters.length === 0) throw broken(spine.length === 0 ? 'its spine lists no chapters' : 'none of its spine chapters has text');
  return chapters.join('\n\n');
}

/** The `<body>` of an XHTML chapter (turndown would read the `<head>`'s title as text too). */
function bodyOf(html: string): string {
  const match = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html);
  return match ? match[1]! : html;
}

function titleOf(html: string): string | undefined {
  try {
    const title = findAll(parseXml(html), 'title')[0];
    const text =
      title === undefined
        ? ''
        : children(title)
            .map((node) => String(node['#text'] ?? (tagOf(node) ? '' : '')))
            .join('')
            .trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}
