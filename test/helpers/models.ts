import { TEST_LLM_PATH, TEST_MODEL_PATH } from './paths.js';

/**
 * Config flags for the real test models: the ONNX embedding model, and the local GGUF chat
 * model at temperature 0 with short answers, so tests that answer stay fast and repeatable.
 */
export const TEST_MODELS = {
  embedding: { modelPath: TEST_MODEL_PATH },
  llm: { modelPath: TEST_LLM_PATH, maxTokens: 64, temperature: 0, contextWindow: 2048 },
} as const;
