import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LoadError, messageOf, redactUrl } from '../errors.js';
import { downloadToTempFile, isUrl } from './download.js';
import { openFolderSource } from './folder-source.js';
import { isRecordFile, openRecordSource } from './record-source.js';
import { openSheetSource } from './xlsx.js';
import { isInside, realRoots } from './roots.js';
import type { DocumentSource, OpenSourceOptions } from './source-types.js';
import { isZipFile, openZipSource } from './zip-source.js';

export type { DocumentSource, OpenSourceOptions, SourceEntry } from './source-types.js';

/**
 * Opens a folder, a glob, a single file, a `.zip` file, or an `http(s)://` URL of a zip or a
 * single document. A zip is read entry by entry, never extracted; a URL is streamed to a
 * temporary file that {@link DocumentSource.close} removes.
 */
export async function openSource(input: string, options: OpenSourceOptions): Promise<DocumentSource> {
  if (isUrl(input)) {
    const download = await downloadToTempFile(input, { ...options.download, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      const label = redactUrl(input);
      const source = (await isZipFile(download.file))
        ? await openZipSource(download.file, { ...options, label })
        : await openFolderSource(download.file, { ...options, label });
      return {
        label,
        entries: source.entries,
        close: async () => {
          await source.close();
          await download.remove();
        },
      };
    } catch (error) {
      await download.remove();
      throw error;
    }
  }
  if (isRecordFile(input) && (await stat(input).catch(() => undefined))?.isFile()) {
    if (!(await allowedFile(input, options))) {
      throw new LoadError('load.outside-roots', `${input}: not read, it lies outside the folders allowed here`, {
        context: { file: input },
      });
    }
    return openRecordSource(input, options.records ?? {});
  }
  // A workbook as the source itself is streamed, a block of rows at a time (any size).
  if (input.toLowerCase().endsWith('.xlsx') && (await stat(input).catch(() => undefined))?.isFile()) {
    if (!(await allowedFile(input, options))) {
      throw new LoadError('load.outside-roots', `${input}: not read, it lies outside the folders allowed here`, {
        context: { file: input },
      });
    }
    return openSheetSource(input);
  }
  if (input.toLowerCase().endsWith('.zip')) {
    try {
      if ((await stat(input)).isFile()) {
        if (!(await allowedFile(input, options))) {
          throw new LoadError('load.outside-roots', `${input}: not read, it lies outside the folders allowed here`, {
            context: { file: input },
          });
        }
        return await openZipSource(input, options);
      }
    } catch (error) {
      if (error instanceof LoadError) throw error;
      throw new LoadError('load.not-found', `cannot read ${input}: ${messageOf(error)}`, { cause: error, context: { file: input } });
    }
  }
  return openFolderSource(input, options);
}

/** Whether a file given as the source itself may be read: inside the roots (if any), outside the excluded folders. */
async function allowedFile(file: string, options: OpenSourceOptions): Promise<boolean> {
  if (options.roots === undefined && options.excluded === undefined) return true;
  const excluded = options.excluded === undefined ? [] : await realRoots(options.excluded);
  return isInside(file, options.roots === undefined ? [path.parse(path.resolve(file)).root] : await realRoots(options.roots), excluded);
}
