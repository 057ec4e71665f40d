import type { IngestProgress } from '../pipeline/ingest.js';

/**
 * Shows ingest progress on stderr: on a terminal a redrawn bar (files, chunks, embed rate, ETA),
 * otherwise (logs, CI) a plain line every 10% of the files, and nothing with `quiet`.
 */
export function createIngestProgress(options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}) {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  const tty = Boolean(stream.isTTY);
  let lastDecile = -1;
  return (progress: IngestProgress): void => {
    if (options.quiet) return;
    if (progress.phase === 'scan') {
      stream.write(`found ${progress.files} files\n`);
      return;
    }
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? progress.chunks / elapsed : 0;
    if (progress.phase === 'done') {
      if (tty) stream.write('\n');
      stream.write(`done in ${elapsed.toFixed(1)} s: ${progress.chunks} chunks embedded (${rate.toFixed(1)} chunks/s)\n`);
      return;
    }
    const fraction = progress.files === 0 ? 1 : progress.filesDone / progress.files;
    if (tty) {
      const width = 28;
      const filled = Math.round(fraction * width);
      const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : 0;
      const line =
        `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.filesDone}/${progress.files} files  ` +
        `${progress.chunks} chunks  ${rate.toFixed(1)} chunks/s  ETA ${eta.toFixed(0)} s`;
      stream.write(`\r${line.padEnd(100)}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`${progress.filesDone}/${progress.files} files, ${progress.chunks} chunks (${rate.toFixed(1)} chunks/s)\n`);
    }
  };
}
