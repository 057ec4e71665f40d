/**
 * Config: one zod schema; defaults -> file -> environment -> flags, validated once at start.
 * @module config
 */
export { configFromEnv, DEFAULT_CONFIG_FILE, type LoadConfigOptions, loadConfig } from './load-config.js';
export { type Config, type ConfigInput, configSchema } from './schema.js';
export { inferProvider, PROVIDER_NAMES, PROVIDER_PRESETS, type ProviderName, type ProviderPreset } from './providers.js';
