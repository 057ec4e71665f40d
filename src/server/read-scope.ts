/**
 * What each ingest may read on the server. Path ingests (`POST /v1/ingest {path}`, MCP `ingest`)
 * reach the roots of the caller's key (its `roots`, else `server.ingestRoots`; none for a key
 * bound to a tenant without `roots`) and never the upload folder or the jobs folder, even where
 * those lie inside a root. Uploads reach only their own folder: a tenant's
 * `uploads/tenants/<tenant>/`, another collection's `uploads/collections/<name>/`, the shared
 * files at the top of the upload folder. The scope travels with the job, so a job resumed after
 * a restart reads exactly what it was allowed to read when it was submitted.
 * @module server/read-scope
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { escapesFolder, isWithin, realRoots } from '../load/roots.js';
import { ApiError } from './http-errors.js';

/** Where one ingest may read: inside one of `roots`, inside none of `excluded` (links resolved). */
export interface ReadScope {
  roots: string[];
  excluded: string[];
}

/** The caller of a path ingest, as its key says. */
export interface PathCaller {
  name?: string;
  tenant?: string;
  /** The roots on the key's line of the keys file (absolute). */
  roots?: readonly string[];
}

export class ReadScopes {
  readonly #ingestRoots: string[];
  readonly #uploadDir: string;
  readonly #private: string[];

  readonly #cwd: string;

  /** `cwd`: what a relative path in a request is relative to (the server's working folder). */
  constructor(options: { ingestRoots: readonly string[]; uploadDir: string; jobsDir?: string | undefined; cwd?: string | undefined }) {
    this.#cwd = path.resolve(options.cwd ?? process.cwd());
    this.#ingestRoots = options.ingestRoots.map((root) => path.resolve(root));
    this.#uploadDir = path.resolve(options.uploadDir);
    // Never read by a path ingest, by any key: every tenant's uploads, and the job records.
    this.#private = [this.#uploadDir, ...(options.jobsDir === undefined ? [] : [path.resolve(options.jobsDir)])];
  }

  /** The upload folder of a tenant, of another collection, or (neither) the shared one. */
  uploadFolder(target: { tenant?: string | undefined; collection?: string | undefined }): string {
    if (target.tenant !== undefined) return path.join(this.#uploadDir, 'tenants', target.tenant);
    if (target.collection !== undefined) return path.join(this.#uploadDir, 'collections', target.collection);
    return this.#uploadDir;
  }

  /** What an upload job reads: its own folder; the shared one without the tenants' and collections' folders. */
  forUpload(folder: string): ReadScope {
    return folder === this.#uploadDir
      ? { roots: [folder], excluded: [path.join(folder, 'tenants'), path.join(folder, 'collections')] }
      : { roots: [folder], excluded: [] };
  }

  /** What a path ingest by this caller may read; a 403 for a tenant's key without roots of its own. */
  forPath(caller: PathCaller): ReadScope {
    if (caller.roots !== undefined) return { roots: [...caller.roots], excluded: [...this.#private] };
    if (caller.tenant !== undefined) {
      throw new ApiError(
        403,
        'path_not_allowed',
        `the key "${caller.name ?? ''}" is bound to tenant ${caller.tenant}: it ingests uploads (POST /v1/ingest with files), ` +
          'or the folders its line in the keys file lists as "roots"',
      );
    }
    return { roots: [...this.#ingestRoots], excluded: [...this.#private] };
  }

  /**
   * A job kept from before scopes were stored with jobs: an upload job reads its own upload
   * folder, any other job the server's roots without the private folders.
   */
  forStoredJob(source: string): ReadScope {
    const resolved = path.resolve(source);
    if (isWithin(resolved, this.#uploadDir)) return this.forUpload(resolved);
    return { roots: [...this.#ingestRoots], excluded: [...this.#private] };
  }

  /**
   * The absolute path of a path ingest, checked against its scope, or a 400/403. Outside the scope
   * is one 403, the same whether the path exists or not (a client must not learn which paths
   * exist), and so is any `..` segment or an absolute `include`: either would reach past what can
   * be checked here. What a folder or glob then finds is checked file by file by the loader.
   */
  async checkPath(requested: string, include: string | undefined, scope: ReadScope): Promise<string> {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(requested)) {
      throw new ApiError(400, 'invalid_request', 'path: URLs are not ingested by the server; give a path on the server, or upload files');
    }
    if (requested.split(/[\\/]/).includes('..')) throw outsideRoots('path', requested);
    if (include !== undefined && escapesFolder(include)) throw outsideRoots('include', include);
    // A glob is checked by its static part.
    const staticPart = path.resolve(this.#cwd, requested.split(/[*?[{]/)[0]! || '.');
    const realAllowed = await realRoots(scope.roots);
    const realExcluded = await realRoots(scope.excluded);
    const lexicalAllowed = [...scope.roots.map((root) => path.resolve(root)), ...realAllowed];
    const lexicalExcluded = [...scope.excluded.map((folder) => path.resolve(folder)), ...realExcluded];
    const inside = (file: string, allowed: readonly string[], excluded: readonly string[]) =>
      allowed.some((root) => isWithin(file, root)) && !excluded.some((folder) => isWithin(file, folder));
    if (!inside(staticPart, lexicalAllowed, lexicalExcluded)) throw outsideRoots('path', requested);
    let resolved: string;
    try {
      resolved = await realpath(staticPart);
    } catch {
      throw new ApiError(400, 'invalid_request', `path: ${requested} does not exist on the server`);
    }
    if (!inside(resolved, realAllowed, realExcluded)) throw outsideRoots('path', requested);
    return path.resolve(this.#cwd, requested);
  }

  /** Every root a job may have been given, for showing paths relative to them. */
  get displayRoots(): string[] {
    return [...this.#ingestRoots, this.#uploadDir];
  }
}

function outsideRoots(field: string, value: string): ApiError {
  return new ApiError(403, 'path_not_allowed', `${field}: ${value} is outside the folders this server may read for this key`);
}
