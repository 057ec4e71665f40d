import { anchorOf, describeLocation } from '../anchors.js';
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
  /** First and last line (1-based) of a text, Markdown or code file. */
  lines?: [number, number];
  /** First and last cell (1-based) of a notebook. */
  cells?: [number, number];
  /** The sheet of a workbook and its first and last row. */
  sheet?: string;
  rows?: [number, number];
  /** Where it is, for people: `src/quantile.py:19-25`, `guide.pdf, page 4`. */
  location: string;
  text: string;
}

/** The sources of an answer (or the hits of a search) in the order they were given, numbered from 1. */
export function sourcesToJson(sources: readonly RetrievedChunk[]): SourceJson[] {
  return sources.map((source, index) => {
    const anchor = anchorOf(source);
    return {
      number: index + 1,
      id: source.id,
      distance: source.distance,
      source: source.source,
      headings: source.headings,
      ...anchor,
      location: describeLocation(source.source, anchor),
      text: source.text,
    };
  });
}
