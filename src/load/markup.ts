/**
 * reStructuredText, AsciiDoc and Org files as Markdown: their section titles become Markdown
 * headings (so chunks get heading paths), on the same lines, so line anchors stay the file's own.
 * Everything else is kept as written.
 * @module load/markup
 */

/** Extensions read as lightweight markup, with the converter of each. */
export const MARKUP_EXTENSIONS: Readonly<Record<string, (text: string) => string>> = {
  '.rst': rstHeadings,
  '.adoc': asciidocHeadings,
  '.asciidoc': asciidocHeadings,
  '.org': orgHeadings,
};

/** AsciiDoc's `= Title`, `== Section` ... as `#`, `##` ... */
export function asciidocHeadings(text: string): string {
  return mapLines(text, (line) =>
    line.replace(/^(={1,6})[ \t]+(\S.*)$/, (_, marks: string, title: string) => `${'#'.repeat(marks.length)} ${title}`),
  );
}

/** Org's `* Heading`, `** Sub` ... as `#`, `##` ... (deeper levels stay at six). */
export function orgHeadings(text: string): string {
  return mapLines(text, (line) =>
    line.replace(/^(\*+)[ \t]+(\S.*)$/, (_, stars: string, title: string) => `${'#'.repeat(Math.min(6, stars.length))} ${title}`),
  );
}

/**
 * reStructuredText's titles (a line underlined, and maybe overlined, with one punctuation
 * character at least as long as it) as Markdown headings. Levels follow the order in which the
 * styles first appear, as rst defines them. The adornment lines become blank lines.
 */
export function rstHeadings(text: string): string {
  const lines = text.split('\n');
  const styles: string[] = [];
  const adornment = (line: string | undefined) =>
    line !== undefined && /^([=\-~^"'`#*+:.])\1{2,}\s*$/.test(line) ? line.trim()[0] : undefined;
  for (let index = 0; index + 1 < lines.length; index++) {
    const title = lines[index]!.trim();
    const under = adornment(lines[index + 1]);
    if (title === '' || under === undefined || adornment(lines[index]) !== undefined) continue;
    if (lines[index + 1]!.trim().length < title.length) continue;
    const over = adornment(lines[index - 1]) === under;
    const style = `${over ? 'o' : ''}${under}`;
    if (!styles.includes(style)) styles.push(style);
    const level = Math.min(6, styles.indexOf(style) + 1);
    lines[index] = `${'#'.repeat(level)} ${title}`;
    lines[index + 1] = '';
    if (over) lines[index - 1] = '';
    index += 1;
  }
  return lines.join('\n');
}

function mapLines(text: string, change: (line: string) => string): string {
  let fence = false;
  return text
    .split('\n')
    .map((line) => {
      // Code blocks are left alone: a `* x` or `= y` there is code, not a heading.
      if (/^(```|----|#\+(BEGIN|END)_SRC)/i.test(line.trim())) fence = !fence;
      return fence ? line : change(line);
    })
    .join('\n');
}
