import { clearLine, cursorTo } from 'node:readline';
import { styleText } from 'node:util';
import type { IngestProgress } from '../pipeline/ingest.js';

/** What the progress display writes to: stderr, or a stand-in in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** The terminal's width; 80 when unknown. */
  columns?: number;
  /** Whether colours may be used (a TTY's `hasColors()` honours `NO_COLOR` and `FORCE_COLOR`). */
  hasColors?: () => boolean;
}

/** Seconds as `42 s`, `3:07` or `1:02:03`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * The one status line of an ingest, fitted to `columns`: a bar as wide as the room left, then
 * files, chunks, rate and ETA, dropping the least needed parts first on a narrow terminal. The
 * ETA comes from the bytes still to read at the rate bytes were embedded so far (skipped files
 * cost nothing), so files of very different sizes do not make it jump.
 */
export function progressLine(progress: IngestProgress, elapsedSeconds: number, columns: number, color = false): string {
  const fraction =
    progress.bytes !== undefined && progress.bytes > 0
      ? (progress.bytesDone ?? 0) / progress.bytes
      : progress.files === 0
        ? 1
        : progress.filesDone / progress.files;
  const rate = elapsedSeconds > 0 ? progress.chunks / elapsedSeconds : 0;
  const embedded = progress.bytesEmbedded ?? 0;
  const remaining = (progress.bytes ?? 0) - (progress.bytesDone ?? 0);
  const eta = embedded > 0 && elapsedSeconds > 0 ? remaining / (embedded / elapsedSeconds) : Number.NaN;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const parts = [
    `${progress.filesDone}/${progress.files} files`,
    `${progress.chunks.toLocaleString('en-US')} chunks`,
    `${rate.toFixed(1)} chunks/s`,
    `ETA ${formatDuration(eta)}`,
    ...(progress.tokens !== undefined && elapsedSeconds > 0
      ? [`${Math.round(progress.tokens / elapsedSeconds).toLocaleString('en-US')} tokens/s`]
      : []),
  ];
  // Keep as many parts as fit beside a bar of at least 10 cells; narrower, no bar.
  const room = Math.max(20, columns - 1);
  let text = parts.join('  ');
  let kept = parts.length;
  while (kept > 1 && percent.length + 1 + text.length + 13 > room) {
    kept -= 1;
    text = parts.slice(0, kept).join('  ');
  }
  const barWidth = Math.min(40, room - percent.length - text.length - 4);
  // Whether to colour was decided from the stream given (hasColors honours NO_COLOR), not from process.stdout.
  const paint = (style: 'green' | 'dim', value: string) => (color ? styleText(style, value, { validateStream: false }) : value);
  if (barWidth < 10) return `${percent} ${text}`.slice(0, room);
  const filled = Math.round(fraction * barWidth);
  const bar = `[${paint('green', '#'.repeat(filled))}${paint('dim', '-'.repeat(barWidth - filled))}]`;
  return `${bar} ${percent} ${text}`;
}

/**
 * Shows ingest progress: on a terminal one line redrawn in place (at most 10 times a second),
 * fitted to the terminal's width; otherwise (logs, CI, a pipe) a plain line every 10% of the
 * work; nothing with `quiet`.
 */
export function createIngestProgress(options: { stream?: ProgressStream; quiet?: boolean; now?: () => number } = {}) {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const tty = Boolean(stream.isTTY);
  const color = tty && (stream.hasColors?.() ?? false);
  let lastDecile = -1;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return (progress: IngestProgress): void => {
    if (options.quiet) return;
    if (progress.phase === 'scan') {
      const size = progress.bytes === undefined ? '' : ` (${(progress.bytes / 1e6).toFixed(1)} MB)`;
      stream.write(`found ${progress.files} files${size}\n`);
      return;
    }
    const elapsed = (now() - started) / 1000;
    if (progress.phase === 'done') {
      if (drawn) stream.write('\n');
      const rate = elapsed > 0 ? progress.chunks / elapsed : 0;
      stream.write(`done in ${formatDuration(elapsed)}: ${progress.chunks} chunks embedded (${rate.toFixed(1)} chunks/s)\n`);
      return;
    }
    if (tty) {
      const time = now();
      if (time - lastDraw < 100 && progress.filesDone < progress.files) return;
      lastDraw = time;
      cursorTo(stream as NodeJS.WritableStream, 0);
      clearLine(stream as NodeJS.WritableStream, 0);
      stream.write(progressLine(progress, elapsed, stream.columns ?? 80, color));
      drawn = true;
      return;
    }
    const fraction = progress.bytes
      ? (progress.bytesDone ?? 0) / progress.bytes
      : progress.files === 0
        ? 1
        : progress.filesDone / progress.files;
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`${progressLine(progress, elapsed, Number.POSITIVE_INFINITY).replace(/^\[[#-]*\] /, '')}\n`);
    }
  };
}
