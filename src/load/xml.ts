/**
 * XML parts of Office files and EPUB books, walked in document order: fast-xml-parser with
 * `preserveOrder`, and the few helpers the readers share.
 * @module load/xml
 */
import { XMLParser } from 'fast-xml-parser';

/** An XML element as fast-xml-parser gives it with `preserveOrder`: `{ tag: children, ':@': attributes }`. */
export type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string>; '#text'?: string | number };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  trimValues: false,
});

/** Parses an XML part into ordered nodes. */
export function parseXml(text: string): XmlNode[] {
  return parser.parse(text) as XmlNode[];
}

export function tagOf(node: XmlNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@' && key !== '#text');
}

export function children(node: XmlNode): XmlNode[] {
  const tag = tagOf(node);
  const value = tag === undefined ? undefined : node[tag];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

export function attribute(node: XmlNode, name: string): string | undefined {
  return node[':@']?.[name];
}

/** Every element with this tag under the nodes, depth first in document order. */
export function findAll(nodes: XmlNode[], tag: string): XmlNode[] {
  const found: XmlNode[] = [];
  for (const node of nodes) {
    const own = tagOf(node);
    if (own === tag) found.push(node);
    else if (own !== undefined) found.push(...findAll(children(node), tag));
  }
  return found;
}
