import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

/** A fresh temporary folder, removed when the test file ends. */
export async function tempDir(prefix = 'milvus-rag-test-'): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), prefix));
  after(() => rm(folder, { recursive: true, force: true }));
  return folder;
}
