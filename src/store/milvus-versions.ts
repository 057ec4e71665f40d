/**
 * What differs between Milvus versions, as the store needs to know it: features by version, and
 * known bugs of released servers that the store works around.
 * @module store/milvus-versions
 */

/** Whether a Milvus version string (`v2.5.4`, `2.6.0-beta`) is at least major.minor. */
export function atLeast(version: string, major: number, minor: number): boolean {
  const match = /(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [have, haveMinor] = [Number(match[1]), Number(match[2])];
  return have > major || (have === major && haveMinor >= minor);
}

/**
 * Whether a Milvus server puts upserted rows of a partition-key collection in the wrong partition:
 * versions before 2.3.10 hash the wrong field (milvus-io/milvus#30607, fixed by #30772). Measured
 * on 2.3.5: of 100 rows upserted with `tenant == "a"`, a query with that filter found 3.
 */
export function misroutesPartitionKeyUpserts(version: string): boolean {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return major < 2 || (major === 2 && (minor < 3 || (minor === 3 && patch < 10)));
}

/**
 * Whether a Milvus server may bring deleted rows back after a flush or compaction: releases before
 * 2.3.15 and 2.4.1 (milvus-io/milvus#33015, "upgrade Milvus to 2.3.15 or 2.4.1"). Seen here on
 * PyPI's 2.3.5 about once in ten 5,000-chunk sync runs; {@link MilvusStore.confirmDeleted} repairs
 * what it can see.
 */
export function losesDeletes(version: string): boolean {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return major < 2 || (major === 2 && (minor < 3 || (minor === 3 && patch < 15) || (minor === 4 && patch < 1)));
}
