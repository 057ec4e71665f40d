/**
 * Record files as a source: each line of a JSONL file (`.jsonl`, `.jsonl.gz`) is one document, as
 * in BEIR corpora and most exports. CSV and TSV are not read yet.
 * @module load/record-source
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LoadError, messageOf } from '../errors.js';
import type { SourceDocument } from '../types.js';
import type { DocumentSource, RecordFields, SourceEntry } from './source-types.js';

export type { RecordFields } from './source-types.js';

/** Extensions read as record files. */
export const RECORD_EXTENSIONS = ['.jsonl', '.jsonl.gz'] as const;

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
  for await (const { line, value } of readLines(file, label)) {
    const where = `${label}:${line}`;
    let record: ParsedRecord;
    try {
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
    const reader = sequentialReader;
    entries.push({
      source: record.document.source,
      location: where,
      size: 0,
      read: async () => Buffer.from((await reader(record.line)).document.text),
      readDocument: async () => (await reader(record.line)).document,
    });
  }

  // The second pass: records in file order; asking for an earlier line starts the file again.
  let pass: AsyncIterator<{ line: number; value: string }> | undefined;
  let current: { line: number; value: string } | undefined;
  async function sequentialReader(line: number): Promise<ParsedRecord> {
    if (!pass || !current || current.line > line) {
      pass = readLines(file, label)[Symbol.asyncIterator]();
      current = undefined;
    }
    while (!current || current.line < line) {
      const next = await pass.next();
      if (next.done) throw new LoadError('load.changed', `${label} changed while it was read`, { context: { file: label } });
      current = next.value;
    }
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

/** The non-empty lines of a JSONL file (gzip-compressed when named `.gz`), with 1-based line numbers. */
async function* readLines(file: string, label: string): AsyncGenerator<{ line: number; value: string }> {
  let input: Readable = createReadStream(file);
  if (file.toLowerCase().endsWith('.gz')) input = input.pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const value of lines) {
      line += 1;
      if (value.trim() !== '') yield { line, value };
    }
  } catch (error) {
    throw new LoadError('load.unreadable', `cannot read ${label} (line ${line + 1}): ${messageOf(error)}`, {
      cause: error,
      context: { file: label },
    });
  } finally {
    lines.close();
    input.destroy();
  }
}

/** One JSONL line as a document: `title text` to embed, every other field as metadata. */
function toRecord(
  value: string,
  line: number,
  where: string,
  name: string,
  fields: { id: string | undefined; text: string; title: string },
): ParsedRecord {
  const bad = (code: string, message: string) => new LoadError(code, `${where}: ${message}`, { context: { file: where } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw bad('load.invalid-record', `not valid JSON (${messageOf(error)})`);
  }
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
