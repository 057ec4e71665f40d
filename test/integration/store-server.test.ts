import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { diagnose } from '../../src/pipeline/doctor.js';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { losesDeletes } from '../../src/store/milvus-versions.js';
import { type MilvusServer, startMilvusServer } from '../helpers/milvus-server.js';
import { ROOT, TEST_MODEL_PATH } from '../helpers/paths.js';
import { describeStoreSuite } from './store-suite.js';

// A real Milvus 2.3 standalone server (PyPI `milvus`), started for this file on free ports.
let server: MilvusServer | undefined;
before(async () => {
  server = await startMilvusServer();
});
after(async () => {
  await server?.stop();
});

describeStoreSuite('the Milvus 2.3 standalone server', () => createMilvusStore({ uri: server!.uri }));

test('doctor warns that Milvus 2.3.5 can bring deleted rows back, and names the releases that fixed it', async () => {
  assert.deepEqual(['v2.3.5', '2.3.14', '2.3.15', 'v2.4.0', '2.4.1', '2.5.0', 'v2.2.16'].map(losesDeletes), [
    true,
    true,
    false,
    true,
    false,
    false,
    true,
  ]);
  const config = await loadConfig({ cwd: ROOT, env: {}, flags: { uri: server!.uri, embedding: { modelPath: TEST_MODEL_PATH } } });
  const report = await diagnose(config);
  const warning = report.checks.find((check) => check.name === 'milvus' && check.status === 'warn');
  assert.match(warning?.detail ?? '', /Milvus v?2\.3\.5\S* can bring deleted rows back .*milvus-io\/milvus#33015/);
  assert.match(warning?.fix ?? '', /2\.3\.15, 2\.4\.1 or newer/);
});
