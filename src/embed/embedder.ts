/** Options every embedding call takes. */
export interface EmbedOptions {
  signal?: AbortSignal;
}

/**
 * Turns texts into dense vectors. Documents and queries have separate methods because some
 * models embed them differently (the reference model does not).
 */
export interface Embedder {
  /** Identifies the model; stored with a collection so that a different model is detected. */
  readonly modelId: string;
  /** Length of every vector returned. */
  readonly dimension: number;
  /** The largest number of texts one model call takes; callers may pass more. */
  readonly maxBatchSize: number;
  /** Tokens the model reads at most per text; longer texts are truncated. */
  readonly maxLength?: number;
  /** Counts a text's tokens as the model sees them, special tokens included. */
  countTokens?(text: string): number;
  encodeDocuments(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  encodeQueries(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Frees the model. */
  close(): Promise<void>;
}
