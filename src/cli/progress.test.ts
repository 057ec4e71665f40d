import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { test } from 'node:test';
import type { IngestProgress } from '../pipeline/ingest.js';
import { createIngestProgress, formatDuration, progressLine } from './progress.js';

/** A stand-in terminal (or pipe) that keeps what was written. */
function fakeStream(options: { tty: boolean; columns?: number; colors?: boolean }) {
  const writes: string[] = [];
  return {
    writes,
    stream: {
      isTTY: options.tty,
      ...(options.columns === undefined ? {} : { columns: options.columns }),
      hasColors: () => options.colors ?? false,
      write(text: string) {
        writes.push(text);
        return true;
      },
    },
  };
}

/** An ingest of 10 files of 1,000 bytes each, one file a second, 50 chunks a file. */
function run(stream: ReturnType<typeof fakeStream>['stream']) {
  let clock = 0;
  const show = createIngestProgress({ stream, now: () => clock });
  const base = { files: 10, bytes: 10_000 } as const;
  show({ phase: 'scan', ...base, filesDone: 0, chunks: 0, bytesDone: 0, bytesEmbedded: 0 });
  for (let file = 1; file <= 10; file++) {
    clock += 1000;
    const done = { ...base, filesDone: file, chunks: 50 * file, bytesDone: 1000 * file, bytesEmbedded: 1000 * file, tokens: 2000 * file };
    show({ phase: 'file', ...done } satisfies IngestProgress);
  }
  show({ phase: 'done', ...base, filesDone: 10, chunks: 500, bytesDone: 10_000, bytesEmbedded: 10_000 });
}

test('on a 60-column terminal every redraw fits in one line, redrawn in place, without the parts that do not fit', () => {
  const { stream, writes } = fakeStream({ tty: true, columns: 60 });
  run(stream);
  const lines = writes.filter((text) => text.startsWith('['));
  assert.equal(lines.length, 10);
  for (const line of lines) assert.ok(line.length <= 59, `${line.length}: ${line}`);
  assert.ok(
    writes.some((text) => text.includes('\x1b[')),
    'cursor moves back instead of a new line',
  );
  assert.ok(!lines.some((line) => line.includes('\n')));
  assert.match(lines[4]!, /5\/10 files/);
});

test('on a 200-column terminal the bar is wider and every part shows, ETA from the bytes left at the embedding rate', () => {
  const { stream, writes } = fakeStream({ tty: true, columns: 200, colors: true });
  run(stream);
  const lines = writes.filter((text) => stripVTControlCharacters(text).startsWith('['));
  const half = stripVTControlCharacters(lines[4]!);
  assert.match(half, /^\[#{20}-{20}\] {2}50% 5\/10 files {2}250 chunks {2}50\.0 chunks\/s {2}ETA 5 s {2}2,000 tokens\/s$/);
  assert.ok(lines[4]!.includes('\x1b[32m'), 'coloured when the terminal has colours');
  assert.match(writes.at(-1)!, /^done in 10 s: 500 chunks embedded \(50\.0 chunks\/s\)\n$/);
});

test('with no TTY (a pipe, CI) plain lines every 10%, no escape codes, no bar', () => {
  const { stream, writes } = fakeStream({ tty: false });
  run(stream);
  assert.equal(writes[0], 'found 10 files (0.0 MB)\n');
  for (const text of writes) assert.equal(text, stripVTControlCharacters(text));
  const lines = writes.slice(1, -1);
  assert.equal(lines.length, 10);
  assert.match(lines[0]!, /^ 10% 1\/10 files {2}50 chunks {2}50\.0 chunks\/s {2}ETA 9 s {2}2,000 tokens\/s\n$/);
});

test('a narrow line keeps files first; durations read as minutes and hours', () => {
  const line = progressLine(
    { phase: 'file', files: 104, filesDone: 52, chunks: 2600, bytes: 100, bytesDone: 50, bytesEmbedded: 50 },
    120,
    30,
  );
  assert.ok(line.length <= 29, line);
  assert.match(line, /52\/104 files/);
  assert.equal(formatDuration(59.4), '59 s');
  assert.equal(formatDuration(187), '3:07');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(Number.NaN), '?');
});
