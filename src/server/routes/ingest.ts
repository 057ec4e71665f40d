/**
 * `POST /v1/ingest` (a path on the server, or uploads) and `GET /v1/jobs/{id}`. What each job may
 * read is its {@link ReadScope}: see `read-scope.ts`.
 * @module server/routes/ingest
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRoute, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DOCUMENT_EXTENSIONS } from '../../load/parse-document.js';
import type { PlannedFile } from '../../pipeline/ingest.js';
import type { MilvusRag } from '../../pipeline/rag.js';
import { tenantFilter } from '../../retrieve/filters.js';
import { ApiError, scrubPaths } from '../http-errors.js';
import { type IngestJob, IngestJobs } from '../ingest-jobs.js';
import { callerOf, describeIssues, errors, invalidJson, json, type RouteDeps, type ServerApp } from '../route-kit.js';
import type { ServerMetrics } from '../metrics.js';
import { ErrorBody, IngestEstimate, IngestRequest, IngestUpload, Job, JobParams } from '../schemas.js';
import { type PathCaller, ReadScopes } from '../read-scope.js';

/** Document types POST /v1/ingest accepts as uploads: what the loaders read. */
const UPLOAD_EXTENSIONS = new Set(DOCUMENT_EXTENSIONS);

/** The longest upload file name, in UTF-8 bytes. */
const MAX_UPLOAD_NAME_BYTES = 200;

/** A path ingest as a client asks for it (POST /v1/ingest JSON, the MCP `ingest` tool). */
export interface PathIngestRequest {
  path: string;
  include?: string | undefined;
  prune?: boolean | undefined;
  confirm?: boolean | undefined;
  /** Another collection, already checked against the caller's key. */
  collection?: string | undefined;
}

/** Who submits an ingest, as the key says. */
export type IngestCaller = PathCaller & { collections?: readonly string[]; role?: string };

/** What the ingest routes give the other route groups: the job queue, and a checked way to queue a path. */
export interface IngestService {
  jobs: IngestJobs;
  /** Checks the path against the caller's read scope, queues the job for the caller's tenant, writes the audit line. */
  submitPath(request: PathIngestRequest, caller: IngestCaller): Promise<IngestJob>;
  /** Whether a caller may see (and cancel) a job: its tenant's, its collections', and untenanted jobs only for untenanted keys. */
  maySee(job: IngestJob, caller: IngestCaller): boolean;
}

/** Adds the ingest routes; returns the job queue they feed. */
export function registerIngestRoutes(
  app: ServerApp,
  { rag, options, ragFor, usage, quotas }: RouteDeps,
  metrics?: ServerMetrics,
): IngestService {
  const uploadDir = path.resolve(options.uploadDir);
  const scopes = new ReadScopes({ ingestRoots: options.ingestRoots, uploadDir, jobsDir: options.jobsDir, cwd: options.cwd });
  const audit = (entry: Record<string, unknown>) =>
    (options.audit ?? ((line: string) => process.stderr.write(`${line}\n`)))(
      JSON.stringify({ audit: true, time: new Date().toISOString(), ...entry }),
    );
  /** The rows a key's quota counts: its tenant's in the collection, or the collection's. */
  const rowsOf = (view: MilvusRag, tenant: string | undefined) =>
    view.store
      .hasCollection(view.config.collection)
      .then((exists: boolean) =>
        exists ? view.store.count(view.config.collection, tenant === undefined ? undefined : tenantFilter(tenant)) : 0,
      );
  const jobs = new IngestJobs(
    async (request, onProgress, cancelled, job) => {
      // Every file the job reads lies in its scope (links resolved), fixed when it was submitted.
      const scope =
        request.roots === undefined ? scopes.forStoredJob(request.source) : { roots: request.roots, excluded: request.excluded ?? [] };
      // The collection was checked when the job was submitted (the caller's key may use it).
      const view = request.collection === undefined ? rag : rag.withCollection(request.collection);
      // Quotas: checked before each file is embedded, so the job stops before the file that would go over.
      const entry = options.keys?.named(job.by);
      const needsRows = entry?.maxRows !== undefined;
      const beforeFile = quotas.jobBudget(entry, needsRows ? await rowsOf(view, request.tenant) : 0);
      const counted = { tokens: 0, rows: 0 };
      try {
        const result = await view.ingest(request.source, {
          ...(beforeFile
            ? {
                beforeFile: (file: PlannedFile) => {
                  beforeFile(file);
                  counted.tokens += file.tokens;
                  counted.rows += file.chunks;
                },
              }
            : {}),
          ...(request.include ? { include: request.include } : {}),
          ...(request.prune ? { prune: true } : {}),
          // A prune that would delete most of the collection (a mistyped path) needs confirm: true.
          ...(request.prune && !request.confirm ? { maxPruneFraction: 0.5 } : {}),
          ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
          roots: scope.roots,
          excluded: scope.excluded,
          onProgress,
          // A shutdown or a cancel stops the job between batches; the sync path resumes it on the next run.
          signal: options.shutdownSignal ? AbortSignal.any([options.shutdownSignal, cancelled]) : cancelled,
        });
        usage.add(job.by, job.tenant, { embedTokens: result.tokens ?? 0, rowsWritten: result.chunks });
        return result;
      } catch (error) {
        // What was written before a quota (or any) stop is counted too.
        if (counted.tokens > 0) usage.add(job.by, job.tenant, { embedTokens: counted.tokens, rowsWritten: counted.rows });
        throw error;
      }
    },
    {
      showPath: (text) => relativePaths(text, scopes.displayRoots),
      ...(options.jobsDir === undefined ? {} : { dir: options.jobsDir }),
      interrupted: () => options.shutdownSignal?.aborted ?? false,
      onFinish: (job) => {
        metrics?.jobFinished(job.status, job.tenant, job.result?.chunks ?? 0);
        audit({
          key: job.by ?? null,
          action: 'ingest.finished',
          job: job.id,
          ...(job.tenant === undefined ? {} : { tenant: job.tenant }),
          status: job.status,
          collection: job.collection ?? rag.config.collection,
          ...(job.result
            ? { added: job.result.added, updated: job.result.updated, deleted: job.result.deleted, rows: job.result.rows }
            : {}),
        });
      },
    },
  );

  const submitted = (job: IngestJob, by: string | undefined, tenant: string | undefined) =>
    audit({
      key: by ?? null,
      action: 'ingest.submitted',
      job: job.id,
      source: job.source,
      collection: job.collection ?? rag.config.collection,
      ...(tenant === undefined ? {} : { tenant }),
    });
  /** The collection a request names, when not the server's own; 403 or 404 as for searches (the server's own is checked too). */
  const otherCollection = async (c: Context, value: unknown): Promise<string | undefined> => {
    if (value === undefined || value === '' || value === rag.config.collection) {
      await ragFor(c, undefined);
      return undefined;
    }
    const name = IngestRequest.shape.collection.safeParse(value);
    if (!name.success || name.data === undefined) {
      throw new ApiError(400, 'invalid_request', `collection: ${name.error?.issues[0]?.message ?? 'a collection name'}`);
    }
    await ragFor(c, name.data);
    return name.data;
  };
  /** A key already at a quota is refused at once (429 or 413), before a job is queued. */
  const checkQuotas = async (caller: { name?: string; tenant?: string }, collection: string | undefined) => {
    const entry = options.keys?.named(caller.name);
    quotas.checkEmbedLeft(entry);
    if (entry?.maxRows !== undefined) {
      quotas.checkRows(entry, await rowsOf(collection === undefined ? rag : rag.withCollection(collection), caller.tenant));
    }
  };
  const submitPath = async (request: PathIngestRequest, caller: IngestCaller): Promise<IngestJob> => {
    await checkQuotas(caller, request.collection);
    const scope = scopes.forPath(caller);
    const source = await scopes.checkPath(request.path, request.include, scope);
    const job = jobs.submit(
      {
        source,
        ...(request.include ? { include: request.include } : {}),
        ...(request.prune ? { prune: true } : {}),
        ...(request.confirm ? { confirm: true } : {}),
        ...(caller.tenant === undefined ? {} : { tenant: caller.tenant }),
        ...(request.collection === undefined ? {} : { collection: request.collection }),
        roots: scope.roots,
        excluded: scope.excluded,
      },
      request.path,
      caller.name,
    );
    submitted(job, caller.name, caller.tenant);
    return job;
  };
  const maySee = (job: IngestJob, caller: IngestCaller): boolean => {
    if (caller.tenant !== undefined) return job.tenant === caller.tenant;
    if (caller.collections !== undefined && !caller.collections.includes(job.collection ?? rag.config.collection)) return false;
    // A tenant's job (its file names, its failures) is for that tenant's keys and admins only.
    return job.tenant === undefined || caller.role === undefined || caller.role === 'admin';
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/ingest',
      summary: 'Starts an ingest job: JSON {path} on the server, or multipart/form-data uploads (field "files")',
      request: {
        body: {
          content: {
            'application/json': { schema: IngestRequest },
            'multipart/form-data': { schema: IngestUpload },
          },
        },
      },
      responses: {
        202: json(Job, 'the job; poll GET /v1/jobs/{id}'),
        200: json(IngestEstimate, 'with dryRun: what the ingest would do'),
        ...errors,
      },
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      const { name: by, tenant } = callerOf(c);
      const tenantScope = tenant === undefined ? {} : { tenant };
      let job;
      if (type.startsWith('multipart/form-data')) {
        const form = await c.req.parseBody({ all: true });
        const collection = await otherCollection(c, form['collection']);
        await checkQuotas(callerOf(c), collection);
        // Each tenant's uploads, and each other collection's, have a folder of their own: the job
        // syncs that folder only. (The shared uploads are the files at the top of the upload folder.)
        const folder = scopes.uploadFolder({ tenant, collection });
        const names = await saveUploads(form, folder);
        const scope = scopes.forUpload(folder);
        job = jobs.submit(
          {
            source: folder,
            ...(tenant === undefined && collection === undefined ? { include: '*' } : tenantScope),
            ...(collection === undefined ? {} : { collection }),
            roots: scope.roots,
            excluded: scope.excluded,
          },
          `upload: ${names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`}`,
          by,
        );
      } else {
        const body = IngestRequest.safeParse(await c.req.json().catch(() => invalidJson()));
        if (!body.success) {
          throw new ApiError(400, 'invalid_request', describeIssues(body.error.issues));
        }
        const collection = await otherCollection(c, body.data.collection);
        if (body.data.dryRun) {
          // Counted now, with the same scope a job would have; nothing is queued or written.
          const caller = callerOf(c);
          const scope = scopes.forPath(caller);
          const source = await scopes.checkPath(body.data.path, body.data.include, scope);
          const view = await ragFor(c, collection);
          const estimate = await view.estimateIngest(source, {
            ...(body.data.include ? { include: body.data.include } : {}),
            roots: scope.roots,
            excluded: scope.excluded,
            signal: c.req.raw.signal,
          });
          const failed = estimate.failed.map((failure) => ({
            file: relativePaths(failure.file, scopes.displayRoots),
            error: relativePaths(failure.error, scopes.displayRoots),
          }));
          // The estimate's optional parts are absent, never undefined: the schema's shape.
          return c.json({ dryRun: true as const, ...estimate, failed } as z.infer<typeof IngestEstimate>, 200);
        }
        const { dryRun: _dryRun, ...request } = body.data;
        return c.json(await submitPath({ ...request, collection }, callerOf(c)), 202);
      }
      submitted(job, by, tenant);
      return c.json(job, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/jobs/{id}',
      summary: 'An ingest job: status, progress, and its outcome when finished',
      request: { params: JobParams },
      responses: { 200: json(Job, 'the job'), 404: json(ErrorBody, 'no such job'), 401: errors[401] },
    }),
    (c) => {
      // A job the key may not see is not found, as if it did not exist.
      const found = jobs.get(c.req.valid('param').id);
      const job = found && maySee(found, callerOf(c)) ? found : undefined;
      if (!job) return c.json({ error: { code: 'not_found', message: `no job ${c.req.valid('param').id}` } }, 404);
      return c.json(job, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/jobs/{id}',
      summary: 'Cancels a queued or running ingest job; what it wrote stays, and ingesting the same source again resumes it',
      request: { params: JobParams },
      responses: { 200: json(Job, 'the job, cancelled (or as it finished)'), 404: json(ErrorBody, 'no such job'), 401: errors[401] },
    }),
    (c) => {
      const found = jobs.get(c.req.valid('param').id);
      const job = found && maySee(found, callerOf(c)) ? jobs.cancel(found.id) : undefined;
      if (!job) return c.json({ error: { code: 'not_found', message: `no job ${c.req.valid('param').id}` } }, 404);
      return c.json(job, 200);
    },
  );
  return { jobs, submitPath, maySee };
}

/**
 * Writes the uploaded files (form field `files`) into the upload folder and returns their names.
 * A name must be a plain file name: anything with a path separator, `..` or a control character
 * is refused, and the resolved path is checked to be inside the folder.
 */
async function saveUploads(form: Record<string, unknown>, uploadDir: string): Promise<string[]> {
  const field = form['files'];
  const files = (Array.isArray(field) ? field : field === undefined ? [] : [field]).filter(
    (value): value is File => typeof value !== 'string',
  );
  if (files.length === 0) throw new ApiError(400, 'invalid_request', 'files: attach one or more documents in the form field "files"');
  for (const file of files) {
    const name = file.name;
    // eslint-disable-next-line no-control-regex
    if (!name || name !== path.basename(name) || name.includes('\\') || name.startsWith('.') || /[\u0000-\u001f]/.test(name)) {
      throw new ApiError(400, 'invalid_file_name', `files: the name ${JSON.stringify(name)} is not a plain file name`);
    }
    // File systems take names of up to 255 bytes, and the upload is first written under a longer temporary name.
    if (Buffer.byteLength(name) > MAX_UPLOAD_NAME_BYTES) {
      throw new ApiError(
        400,
        'invalid_file_name',
        `files: the name ${JSON.stringify(name.slice(0, 40))}... is ${Buffer.byteLength(name)} bytes long; at most ${MAX_UPLOAD_NAME_BYTES}`,
      );
    }
    if (!UPLOAD_EXTENSIONS.has(path.extname(name).toLowerCase())) {
      throw new ApiError(
        400,
        'unsupported_file_type',
        `files: ${name} is not a format milvus-rag reads (documents .md .txt .html .pdf .ipynb .rst, source code, config files)`,
      );
    }
    if (!path.resolve(uploadDir, name).startsWith(uploadDir + path.sep)) {
      throw new ApiError(400, 'invalid_file_name', `files: ${name} would be written outside the upload folder`);
    }
  }
  await mkdir(uploadDir, { recursive: true });
  for (const file of files) {
    // Written beside, then renamed: a half-written upload is never ingested.
    const target = path.join(uploadDir, file.name);
    const temporary = path.join(uploadDir, `.${file.name}.${process.pid}.part`);
    await writeFile(temporary, new Uint8Array(await file.arrayBuffer()));
    await rename(temporary, target);
  }
  return files.map((file) => file.name);
}

/** Absolute paths under the roots shown relative to them: job outcomes never show server paths. */
function relativePaths(text: string, roots: readonly string[]): string {
  let shown = text;
  for (const root of [...roots].map((root) => path.resolve(root)).sort((a, b) => b.length - a.length)) {
    shown = shown.split(root + path.sep).join('');
  }
  return scrubPaths(shown);
}
