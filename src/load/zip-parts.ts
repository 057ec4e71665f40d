/**
 * The text parts of a zip held in memory (Office files and EPUB books are zips of XML): read with
 * yauzl, the same reader as zip sources.
 * @module load/zip-parts
 */
import yauzl from 'yauzl';
import { LoadError, messageOf } from '../errors.js';

/** Every entry whose name matches `wanted`, as UTF-8 text; media and other binary parts are skipped. */
export async function zipTextParts(bytes: Uint8Array, location: string, kind: string, wanted: RegExp): Promise<Map<string, string>> {
  const parts = new Map<string, string>();
  try {
    const zip = await yauzl.fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true });
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!wanted.test(entry.fileName)) {
          zip.readEntry();
          return;
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.once('error', reject);
          stream.once('end', () => {
            parts.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.once('end', () => resolve());
      zip.once('error', reject);
      zip.readEntry();
    });
  } catch (error) {
    throw new LoadError(
      'load.corrupt',
      `${location} is not a readable ${kind} (corrupt, or protected by a password): ${messageOf(error)}`,
      {
        cause: error,
        context: { file: location },
      },
    );
  }
  return parts;
}
