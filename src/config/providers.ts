/**
 * Named OpenAI-compatible endpoints. Each preset gives a base URL, a default model and the
 * environment variable its key is read from; any of them can be overridden in the config.
 * A key is only ever read from its own provider's variable, so it is never sent to another host.
 */
export interface ProviderPreset {
  baseURL?: string;
  model?: string;
  /** Environment variable holding the key. */
  apiKeyEnv?: string;
  /** The endpoint refuses requests without a key. */
  requiresKey?: boolean;
  description: string;
}

export const PROVIDER_PRESETS = {
  openai: {
    baseURL: 'https://api.openai.com/v1',
    model: 'gpt-4o-mini',
    apiKeyEnv: 'OPENAI_API_KEY',
    requiresKey: true,
    description: 'OpenAI',
  },
  nvidia: {
    baseURL: 'https://integrate.api.nvidia.com/v1',
    model: 'meta/llama-3.1-8b-instruct',
    apiKeyEnv: 'NVIDIA_API_KEY',
    requiresKey: true,
    description: 'NVIDIA API catalog (build.nvidia.com)',
  },
  ollama: { baseURL: 'http://localhost:11434/v1', model: 'llama3.2', description: 'Ollama on this machine' },
  vllm: { baseURL: 'http://localhost:8000/v1', apiKeyEnv: 'OPENAI_API_KEY', description: 'vLLM OpenAI-compatible server' },
  llamacpp: {
    baseURL: 'http://localhost:8080/v1',
    // llama.cpp's server answers with the model it loaded, whatever name is asked for.
    model: 'default',
    apiKeyEnv: 'OPENAI_API_KEY',
    description: 'llama.cpp server (llama-server)',
  },
  lepton: {
    apiKeyEnv: 'LEPTONAI_TOKEN',
    requiresKey: true,
    description: 'a Lepton-style endpoint (the reference), base URL and model from the config',
  },
  custom: { apiKeyEnv: 'OPENAI_API_KEY', description: 'any OpenAI-compatible endpoint: llm.baseURL and llm.model' },
} as const satisfies Record<string, ProviderPreset>;

/** The OpenAI-compatible presets, and `local`: a GGUF model run in-process (node-llama-cpp). */
export type ProviderName = keyof typeof PROVIDER_PRESETS | 'local';
export const PROVIDER_NAMES = [...Object.keys(PROVIDER_PRESETS), 'local'] as ProviderName[];

/**
 * The provider a configuration means when it names none: a Lepton-style URL is `lepton`, any other
 * URL `custom`; a GGUF path `local`; a bare OpenAI key means OpenAI; nothing means no endpoint.
 */
export function inferProvider(
  llm: { provider?: ProviderName | undefined; baseURL?: string | undefined; modelPath?: string | undefined },
  env: Record<string, string | undefined>,
): ProviderName | undefined {
  if (llm.provider) return llm.provider;
  if (llm.baseURL) return /lepton/i.test(llm.baseURL) ? 'lepton' : 'custom';
  if (llm.modelPath) return 'local';
  if (env.OPENAI_API_KEY?.trim()) return 'openai';
  return undefined;
}
