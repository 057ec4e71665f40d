import { pageOf } from '../generate/citations.js';
import type { RetrievedChunk } from '../types.js';

/** A retrieved chunk as the CLI's `--json` and the HTTP API show it. */
export interface SourceJson {
  /** Its number in the prompt: `[n]` in the answer refers to it. */
  number: number;
  id: string | number;
  distance: number;
  source: string;
  headings: string;
  page?: number;
  text: string;
}

/** The sources of an answer (or the hits of a search) in the order they were given, numbered from 1. */
export function sourcesToJson(sources: readonly RetrievedChunk[]): SourceJson[] {
  return sources.map((source, index) => {
    const page = pageOf(source);
    return {
      number: index + 1,
      id: source.id,
      distance: source.distance,
      source: source.source,
      headings: source.headings,
      ...(page === undefined ? {} : { page }),
      text: source.text,
    };
  });
}
