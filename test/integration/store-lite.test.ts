import path from 'node:path';
import { createMilvusStore } from '../../src/store/milvus-store.js';
import { tempDir } from '../helpers/temp.js';
import { describeStoreSuite } from './store-suite.js';

const folder = await tempDir();

describeStoreSuite('Milvus Lite 3.x (a local .db)', () => createMilvusStore({ uri: path.join(folder, 'suite.db') }));
