/**
 * Setup: makes what the embedded default needs from the installed package alone (a private
 * Python environment with Milvus Lite, ONNX Runtime for Node, the embedding model, optionally a
 * local chat model) and records it for every command. `milvus-rag setup` and the repo's
 * `scripts/setup.sh` both run it.
 * @module setup
 */
export { milvusRagHome, readSetupRecord, type SetupRecord } from '../internal/home.js';
export { type ModelSource, PYPI_LLM_FILE, PYPI_MODEL } from './models.js';
export { runSetup, type SetupEvent, type SetupOptions, type SetupReport, type SetupStep } from './setup.js';
