import { after, before } from 'node:test';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { type MilvusServer, startMilvusServer } from '../helpers/milvus-server.js';
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
