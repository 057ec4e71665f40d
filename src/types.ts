/**
 * The data that flows through the pipeline: load -> split -> embed -> store -> retrieve -> generate.
 * @module types
 */

/** A document as loaded from disk, before splitting. */
export interface SourceDocument {
  /** Path of the file, relative to the folder or glob base it was loaded from (POSIX separators). */
  source: string;
  /** The document's full text. */
  text: string;
  /** Loader-specific metadata (e.g. where it was read from, its size, an HTML page's `title`). */
  metadata: Record<string, unknown>;
  /**
   * What else counts as content besides `text`: when it changes, sync writes the document again
   * (a record's other fields, which become metadata).
   */
  fingerprint?: string;
  /** Metadata every chunk of the document carries (a record's fields), besides what the splitter adds. */
  chunkMetadata?: Record<string, unknown>;
  /** A PDF's text page by page (1-based page numbers); `text` is then the pages joined. */
  pages?: Array<{ page: number; text: string }>;
  /**
   * Whether `text` is the file's own text, line for line (Markdown, plain text, code): its chunks
   * then carry `metadata.lines`. Not for text made from another form (HTML, PDF, Office files).
   */
  lineNumbered?: boolean;
  /** A workbook: each sheet's header and rows; chunks then carry `metadata.sheet` and `metadata.rows`. */
  sheets?: SheetTable[];
  /** A notebook: the line (0-based, in `text`) where each cell starts; chunks then carry `metadata.cells`. */
  cellStarts?: number[];
  /** Source code or a config file: its language, and its definitions where a parser knows them. */
  code?: { language: string; sections?: CodeSection[] };
}

/** One sheet of a workbook: its header row and its rows, with their row numbers in the sheet. */
export interface SheetTable {
  name: string;
  header: string[];
  rows: Array<{ number: number; cells: string[] }>;
}

/** A definition of a source file: its name path (`Class > method`) and its lines (1-based, inclusive). */
export interface CodeSection {
  path: string[];
  lines: [number, number];
}

/** A piece of a document small enough to embed and retrieve on its own. */
export interface Chunk {
  /** The text that is embedded, stored and given to the LLM. */
  text: string;
  /** The `source` of the document the chunk comes from. */
  source: string;
  /** 0-based position of the chunk within its document. */
  position: number;
  /** The heading path the chunk sits under, outermost first (empty when the splitter knows none). */
  headings: string[];
  metadata: Record<string, unknown>;
  /**
   * What is embedded and BM25-indexed when it differs from `text`: the text after its document
   * title and heading path, which often name what the chunk is about (see `split/index-text.ts`).
   */
  indexText?: string;
}

/** One retrieved chunk with its similarity (inner product for metric IP: higher is closer). */
export interface RetrievedChunk {
  id: string | number;
  distance: number;
  text: string;
  source: string;
  /** The heading path, joined with " > " (empty when unknown). */
  headings: string;
  /** Every stored field returned with the hit, including `text` and `source`. */
  entity: Record<string, unknown>;
  /** The reranker's score, when the hits were reranked (the order follows it). */
  rerankScore?: number;
}
