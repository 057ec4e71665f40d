/**
 * Starting a worker thread from a module beside the caller, both when compiled and under tsx.
 * @module internal/spawn-worker
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';

/**
 * A worker running the module `name` beside `from` (the caller's `import.meta.url`): the compiled
 * `.js`; from the TypeScript source (tests, under tsx), a worker that registers tsx first, since
 * loader hooks of the main thread do not reach worker threads on Node 20.
 */
export function spawnModuleWorker(from: string, name: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) };
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  const source = new URL(`./${name}.ts`, from).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(bootstrap, { eval: true, ...options });
}
