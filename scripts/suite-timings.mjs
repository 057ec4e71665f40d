// A node:test reporter that prints, once every file has run, how long each test file took (the
// sum of its top-level tests and suites, which run one after another), longest first, so the CI
// output shows where its time goes (issue 31's time budget).
import path from 'node:path';
import process from 'node:process';

export default async function* suiteTimings(source) {
  const files = new Map();
  const started = Date.now();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    const entry = files.get(file) ?? { ms: 0, failed: false };
    entry.ms += details?.duration_ms ?? 0;
    entry.failed ||= event.type === 'test:fail';
    files.set(file, entry);
  }
  const rows = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const name = (file) => path.relative(process.cwd(), file);
  const width = Math.max(10, ...rows.map(([file]) => name(file).length));
  yield `\n# suite timings (${rows.length} files, ${((Date.now() - started) / 60_000).toFixed(1)} min wall, 2 at a time)\n`;
  for (const [file, { ms, failed }] of rows) {
    yield `#   ${name(file).padEnd(width)}  ${(ms / 1000).toFixed(1).padStart(7)} s${failed ? '  FAILED' : ''}\n`;
  }
}
