/**
 * Record files as a source: each line of a JSONL file (`.jsonl`, `.jsonl.gz`) or each row of a
 * CSV/TSV file with a header row is one document, as in BEIR corpora and most exports.
 * @module load/record-source
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LoadError, messageOf } from '../errors.js';
import type { SourceDocument } from '../types.js';
import type { DocumentSource, RecordFields, SourceEntry } from './source-types.js';

export type { RecordFields } from './source-types.js';

/** Extensions read as record files. */
export const RECORD_EXTENSIONS = ['.jsonl', '.jsonl.gz', '.csv', '.tsv'] as const;

/** True for a file name that {@link openRecordSource} reads. */
export function isRecordFile(file: string): boolean {
  const lower = file.toLowerCase();
  return RECORD_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** One record as the source hands it to the pipeline. */
interface ParsedRecord {
  line: number;
  id: string;
  document: SourceDocument;
}

/**
 * Opens a JSONL file of records. A first pass reads every line and keeps only each record's id
 * and line number (so progress knows the count and sync knows which records left the file); the
 * documents are then read in a second pass, one at a time, as the pipeline asks for them in
 * order. The file is never held in memory whole. Each record's `source` is `file.jsonl#id`, so
 * sync works per record. A bad line (invalid JSON, no id, no text, a value of the wrong type, an
 * id seen before) becomes an entry whose read fails with a {@link LoadError} naming `file:line`.
 */
export async function openRecordSource(file: string, options: RecordFields & { label?: string } = {}): Promise<DocumentSource> {
  const label = options.label ?? file;
  const name = path.basename(file);
  await stat(file).catch((error: unknown) => {
    throw new LoadError('load.not-found', `cannot read ${label}: ${messageOf(error)}`, { cause: error, context: { file: label } });
  });
  const fields = {
    id: options.idField,
    text: options.textField ?? 'text',
    title: options.titleField ?? 'title',
  };

  const entries: SourceEntry[] = [];
  const seen = new Map<string, number>();
  for await (const { line, value, error } of readRecords(file, label)) {
    const where = `${label}:${line}`;
    let record: ParsedRecord;
    try {
      if (error) throw error;
      record = toRecord(value, line, where, name, fields);
      const first = seen.get(record.id);
      if (first !== undefined) {
        throw new LoadError('load.duplicate-record', `${where}: id ${JSON.stringify(record.id)} was already used on line ${first}`, {
          context: { file: where },
        });
      }
      seen.set(record.id, line);
    } catch (error) {
      if (!(error instanceof LoadError)) throw error;
      const failure = error;
      entries.push({ source: `${name}:${line}`, location: where, size: 0, read: () => Promise.reject(failure) });
      continue;
    }
    // Only the line number is kept: an entry holding the parsed record would keep the whole file
    // in memory (100k records: 680 MiB RSS at the first 10k chunks in bench:memory).
    const recordLine = record.line;
    entries.push({
      source: record.document.source,
      location: where,
      size: 0,
      read: async () => Buffer.from((await sequentialReader(recordLine)).document.text),
      readDocument: async () => (await sequentialReader(recordLine)).document,
    });
  }

  // The second pass: records in file order; asking for an earlier line starts the file again.
  let pass: AsyncIterator<RawRecord> | undefined;
  let current: RawRecord | undefined;
  async function sequentialReader(line: number): Promise<ParsedRecord> {
    if (!pass || !current || current.line > line) {
      pass = readRecords(file, label)[Symbol.asyncIterator]();
      current = undefined;
    }
    while (!current || current.line < line) {
      const next = await pass.next();
      if (next.done) throw new LoadError('load.changed', `${label} changed while it was read`, { context: { file: label } });
      current = next.value;
    }
    if (current.error) throw current.error;
    return toRecord(current.value, line, `${label}:${line}`, name, fields);
  }

  return {
    label,
    entries,
    close: async () => {
      await pass?.return?.();
    },
  };
}

/** One record as read from the file: its (last) line number, and its fields or why it is bad. */
interface RawRecord {
  line: number;
  value?: unknown;
  error?: LoadError;
}

/**
 * The records of a file, with 1-based line numbers: JSONL lines (blank lines skipped) or CSV/TSV
 * rows under a header row. A `.gz` file is decompressed as it streams. A CSV error that leaves
 * the rest unreadable (an unclosed quote) ends the file with that error.
 */
async function* readRecords(file: string, label: string): AsyncGenerator<RawRecord> {
  const lower = file.toLowerCase();
  let input: Readable = createReadStream(file);
  if (lower.endsWith('.gz')) input = input.pipe(createGunzip());
  const bad = (line: number, message: string, cause?: unknown) =>
    new LoadError('load.invalid-record', `${label}:${line}: ${message}`, { cause, context: { file: `${label}:${line}` } });
  let line = 0;
  try {
    if (lower.endsWith('.csv') || lower.endsWith('.tsv')) {
      const rows = input.pipe(
        parseCsv({
          columns: true,
          delimiter: lower.endsWith('.tsv') ? '\t' : ',',
          bom: true,
          skip_empty_lines: true,
          info: true,
          // Numbers in other columns become numbers, so metadata filters compare them as such.
          cast: (value, context) =>
            context.header || context.quoting || value.trim() === '' || !/^-?\d+(\.\d+)?$/.test(value.trim()) ? value : Number(value),
        }),
      );
      try {
        for await (const row of rows as AsyncIterable<{ record: Record<string, unknown>; info: { lines: number } }>) {
          line = row.info.lines;
          yield { line, value: row.record };
        }
      } catch (error) {
        const at = Number((error as { lines?: number }).lines ?? line + 1);
        yield {
          line: at,
          error: bad(
            at,
            `not valid ${lower.endsWith('.tsv') ? 'TSV' : 'CSV'} (${messageOf(error)}); the rest of the file is not read`,
            error,
          ),
        };
      }
      return;
    }
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const value of lines) {
        line += 1;
        if (value.trim() === '') continue;
        try {
          yield { line, value: JSON.parse(value) as unknown };
        } catch (error) {
          yield { line, error: bad(line, `not valid JSON (${messageOf(error)})`, error) };
        }
      }
    } finally {
      lines.close();
    }
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError('load.unreadable', `cannot read ${label} (line ${line + 1}): ${messageOf(error)}`, {
      cause: error,
      context: { file: label },
    });
  } finally {
    input.destroy();
  }
}

/** One record as a document: `title text` to embed, every other field as metadata. */
function toRecord(
  value: unknown,
  line: number,
  where: string,
  name: string,
  fields: { id: string | undefined; text: string; title: string },
): ParsedRecord {
  const bad = (code: string, message: string) => new LoadError(code, `${where}: ${message}`, { context: { file: where } });
  const parsed = value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('load.invalid-record', 'not a JSON object');
  const record = parsed as Record<string, unknown>;
  const idField = fields.id ?? ('_id' in record ? '_id' : 'id');
  const rawId = record[idField];
  if (rawId === undefined || rawId === null || rawId === '') throw bad('load.invalid-record', `no "${idField}" field (--id-field)`);
  if (typeof rawId !== 'string' && typeof rawId !== 'number') throw bad('load.invalid-record', `"${idField}" must be a string or a number`);
  const text = record[fields.text];
  if (text === undefined || text === null) throw bad('load.invalid-record', `no "${fields.text}" field (--text-field)`);
  if (typeof text !== 'string') throw bad('load.invalid-record', `"${fields.text}" must be a string`);
  const title = record[fields.title];
  if (title !== undefined && title !== null && typeof title !== 'string')
    throw bad('load.invalid-record', `"${fields.title}" must be a string`);
  const body = [title, text].filter((part): part is string => typeof part === 'string' && part.trim() !== '').join(' ');
  if (body.trim() === '') throw bad('load.invalid-record', `"${fields.text}" is empty`);
  const metadata: Record<string, unknown> = { path: where, record: String(rawId) };
  for (const [key, field] of Object.entries(record)) {
    if (key !== idField && key !== fields.text && key !== fields.title) metadata[key] = field;
  }
  if (typeof title === 'string' && title !== '') metadata.title = title;
  const id = String(rawId);
  // A change of any field, not only the text, makes the record's chunks be written again.
  const { path: _where, ...fieldsOnly } = metadata;
  return {
    line,
    id,
    document: { source: `${name}#${id}`, text: body, metadata, chunkMetadata: fieldsOnly, fingerprint: JSON.stringify(fieldsOnly) },
  };
}
