import { parse } from 'yaml';

/**
 * Separates a leading YAML front-matter block (`---` ... `---`) from a Markdown body.
 * Front matter is metadata, not text to embed. Invalid YAML is left in the body untouched.
 */
export function splitFrontMatter(text: string): { frontMatter: Record<string, unknown> | undefined; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (!match) return { frontMatter: undefined, body: text };
  try {
    const parsed: unknown = parse(match[1]!);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { frontMatter: undefined, body: text };
    return { frontMatter: parsed as Record<string, unknown>, body: text.slice(match[0].length) };
  } catch {
    return { frontMatter: undefined, body: text };
  }
}
