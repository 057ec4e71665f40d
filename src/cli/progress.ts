import type { IngestProgress } from '../pipeline/ingest.js';

/**
 * Shows ingest progress on stderr: a redrawn bar with rate and ETA on a terminal, a plain line
 * every 10% otherwise (logs, CI), nothing with `quiet`.
 */
export function createIngestProgress(options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}) {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  let lastDecile = -1;
  const tty = Boolean(stream.isTTY);
  return (progress: IngestProgress): void => {
    if (options.quiet) return;
    if (progress.phase === 'load') {
      stream.write(`loaded ${progress.files} files, ${progress.chunks} chunks\n`);
      return;
    }
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? progress.inserted / elapsed : 0;
    const fraction = progress.chunks === 0 ? 1 : progress.inserted / progress.chunks;
    if (progress.phase === 'done') {
      if (tty) stream.write('\n');
      return;
    }
    if (tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const eta = rate > 0 ? (progress.chunks - progress.inserted) / rate : 0;
      stream.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progress.inserted}/${progress.chunks} chunks  ${rate.toFixed(1)} chunks/s  ETA ${eta.toFixed(0)}s `,
      );
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`embedded and stored ${progress.inserted}/${progress.chunks} chunks (${rate.toFixed(1)} chunks/s)\n`);
    }
  };
}
