/**
 * Remote source images, cached: (source, path) → the sha256 of its bytes, kept content-addressed in
 * the same OriginalStore as uploads (S3 with S3_BUCKET), so every variant is made and cached by
 * sha256 exactly as for uploads.
 * - fresh row: its sha256, no request to the source;
 * - stale row: a conditional GET (If-None-Match / If-Modified-Since). 304 → fresh again, nothing
 *   downloaded; 200 → new bytes, so a new sha256, new variants and new ETags; the old bytes go
 *   when nothing else references them;
 * - no row: a GET. 404/410 → a negative row for SOURCE_NOT_FOUND_TTL (a 404 meanwhile); 5xx,
 *   timeouts and refusals are never cached.
 * Freshness: freshness.ts. One fetch per (source, path) at a time: in this process, and across
 * replicas with REDIS_URL (the variant path's ReplicaSingleFlight over the coordination lock;
 * waiters read the row the holder wrote).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { ImgedgeError, isImgedgeError } from '../../shared/errors.js';
import { formatSourceRef, type SourceRef, type Sources } from '../../shared/sources/index.js';
import type { FlightWork } from '../coordination/replica-single-flight.js';
import type { Db } from '../db/driver.js';
import {
  deleteSourceRow,
  getSourceRow,
  lockSourceRow,
  putSourceRow,
  refreshSourceRow,
  type SourceRow,
} from '../db/sources.js';
import { type ReleaseDeps, releaseOriginal } from '../images/release.js';
import { lockSource } from '../images/source-lock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RequestedVariant } from '../variants/disk-cache.js';
import type { FetchResult, SourceFetcher, Validators } from './fetch-source.js';
import { freshnessSeconds } from './freshness.js';
import { SourceRefusedError } from './refusal.js';

/** What the cache knows of one (source, path): its bytes (null: the source said 404) and freshness left. */
export interface SourceEntry {
  sha256: string | null;
  /** Seconds of freshness left. */
  remaining: number;
}

/** Single-flight per key (coordination's ReplicaSingleFlight, or one without Redis). */
export interface SourceFlight {
  run(key: string, work: FlightWork<SourceEntry>): Promise<SourceEntry>;
}

export interface SourceCacheDeps extends ReleaseDeps {
  db: Db;
  sources: Sources;
  fetcher: Pick<SourceFetcher, 'fetch'>;
  metrics: Metrics;
  /** SOURCE_TTL: default and floor of freshness, seconds. */
  ttlSeconds: number;
  /** SOURCE_NOT_FOUND_TTL: how long a 404 is remembered, seconds (0: never). */
  notFoundTtlSeconds: number;
  flight: SourceFlight;
  /** The bytes of `sha256` are gone: every replica drops its tier-1 variants of them. */
  onRemoved: (ref: SourceRef, sha256: string) => Promise<void>;
}

export interface ResolvedSource {
  sha256: string;
  /** Freshness left, ≥ 1 s: the `max-age` of the variants served from these bytes. */
  maxAgeSeconds: number;
}

export interface PurgedSource {
  /** Every variant made of the bytes the row named (the edge's cache keys to drop). */
  variants: RequestedVariant[];
}

type Outcome = 'revalidated_304' | 'fetched_200' | 'not_found';

export class SourceCache {
  constructor(private readonly deps: SourceCacheDeps) {}

  /**
   * The bytes to serve `ref` from, fetching or revalidating when needed; 404 when the source has
   * none. `reload`: fetch the whole image again whatever the row says (its bytes went missing).
   */
  async resolve(ref: SourceRef, log: Logger, options: { reload?: boolean } = {}): Promise<ResolvedSource> {
    this.assertKnown(ref);
    if (!options.reload) {
      const row = await getSourceRow(this.deps.db, ref.source, ref.path);
      if (row && row.remaining > 0) {
        this.deps.metrics.sourceFetches.inc({
          source: ref.source,
          result: row.sha256 ? 'fresh' : 'negative',
        });
        return answer(entryOf(row));
      }
    }
    const entry = await this.deps.flight.run(`${flightKey(ref)}${options.reload ? ':reload' : ''}`, {
      fetchExisting: () => (options.reload ? Promise.resolve(undefined) : this.freshEntry(ref)),
      produce: () => this.refresh(ref, log, !options.reload),
    });
    return answer(entry);
  }

  /**
   * Forget `ref`: its row, and its bytes and variants when nothing else references them. undefined
   * when nothing was cached.
   */
  async purge(ref: SourceRef, log: Logger): Promise<PurgedSource | undefined> {
    this.assertKnown(ref);
    const purged = await this.deps.db.transaction(async (tx) => {
      const deleted = await deleteSourceRow(tx, ref.source, ref.path);
      if (!deleted) return undefined;
      if (deleted.sha256 === null) return { variants: [], removedSha256: undefined };
      const { variants, removed } = await releaseOriginal(this.deps, tx, deleted.sha256);
      return { variants, removedSha256: removed ? deleted.sha256 : undefined };
    });
    if (!purged) return undefined;
    if (purged.removedSha256) await this.deps.onRemoved(ref, purged.removedSha256);
    log.info(
      {
        source: ref.source,
        path: ref.path,
        removed_sha256: purged.removedSha256,
        variants: purged.variants.length,
      },
      'source purged',
    );
    return { variants: purged.variants };
  }

  private assertKnown(ref: SourceRef): void {
    if (!this.deps.sources.has(ref.source))
      throw new ImgedgeError('not_found', `No such source: ${ref.source}`);
  }

  private async freshEntry(ref: SourceRef): Promise<SourceEntry | undefined> {
    const row = await getSourceRow(this.deps.db, ref.source, ref.path);
    return row && row.remaining > 0 ? entryOf(row) : undefined;
  }

  /** One request to the source (conditional when a copy is cached), and the row it leaves. */
  private async refresh(ref: SourceRef, log: Logger, conditional = true): Promise<SourceEntry> {
    const row = await getSourceRow(this.deps.db, ref.source, ref.path);
    // Conditional only with a copy and something to validate it by (a source with neither ETag
    // nor Last-Modified is fetched whole each time it goes stale).
    const validators: Validators | undefined =
      conditional && row?.sha256 && (row.etag || row.lastModified)
        ? { etag: row.etag, lastModified: row.lastModified }
        : undefined;
    const started = performance.now();
    let result: FetchResult;
    try {
      result = await this.deps.fetcher.fetch(ref, validators);
    } catch (err) {
      this.failed(ref, err, started, log);
      throw err;
    }
    if (result.status === 'not_modified') {
      const updated = await refreshSourceRow(
        this.deps.db,
        { source: ref.source, path: ref.path, sha256: row!.sha256! },
        {
          freshSeconds: freshnessSeconds(result.headers, this.deps.ttlSeconds),
          etag: result.headers.etag,
          lastModified: result.headers.lastModified,
        },
      );
      this.done(ref, 'revalidated_304', started, log, { redirects: result.redirects });
      // Purged or replaced while we asked: ask again, for the whole image.
      return updated ? entryOf(updated) : this.refresh(ref, log, false);
    }
    if (result.status === 'not_found') {
      const entry = await this.storeNotFound(ref, log);
      this.done(ref, 'not_found', started, log, {
        upstream_status: result.upstreamStatus,
        redirects: result.redirects,
      });
      return entry;
    }
    const { file, headers } = result;
    let stored: { row: SourceRow; previous: string | null | undefined };
    try {
      stored = await this.deps.db.transaction(async (tx) => {
        // Row first, then bytes (see lockSourceRow).
        const previous = (await lockSourceRow(tx, ref.source, ref.path))?.sha256;
        await lockSource(tx, file.sha256);
        await this.deps.originals.commit(file.path, file.sha256);
        const written = await putSourceRow(tx, {
          source: ref.source,
          path: ref.path,
          sha256: file.sha256,
          bytes: file.bytes,
          etag: headers.etag ?? null,
          lastModified: headers.lastModified ?? null,
          freshSeconds: freshnessSeconds(headers, this.deps.ttlSeconds),
        });
        return { row: written, previous };
      });
    } finally {
      await rm(file.path, { force: true });
    }
    this.deps.metrics.sourceFetchBytes.inc({ source: ref.source }, file.bytes);
    this.done(ref, 'fetched_200', started, log, {
      bytes: file.bytes,
      sha256: file.sha256,
      changed: stored.previous !== undefined && stored.previous !== file.sha256,
      redirects: result.redirects,
    });
    if (stored.previous && stored.previous !== file.sha256) await this.release(ref, stored.previous, log);
    return entryOf(stored.row);
  }

  /** The source said 404: remember it briefly (replacing a cached image, whose bytes may go). */
  private async storeNotFound(ref: SourceRef, log: Logger): Promise<SourceEntry> {
    const ttl = this.deps.notFoundTtlSeconds;
    const previous = await this.deps.db.transaction(async (tx) => {
      const before = (await lockSourceRow(tx, ref.source, ref.path))?.sha256;
      if (ttl > 0) {
        await putSourceRow(tx, {
          source: ref.source,
          path: ref.path,
          sha256: null,
          bytes: null,
          etag: null,
          lastModified: null,
          freshSeconds: ttl,
        });
      } else {
        await deleteSourceRow(tx, ref.source, ref.path);
      }
      return before;
    });
    if (previous) await this.release(ref, previous, log);
    return { sha256: null, remaining: ttl };
  }

  /** Let go of bytes the row no longer names (after its transaction committed). */
  private async release(ref: SourceRef, sha256: string, log: Logger): Promise<void> {
    try {
      const { removed } = await this.deps.db.transaction((tx) => releaseOriginal(this.deps, tx, sha256));
      if (removed) await this.deps.onRemoved(ref, sha256);
    } catch (err) {
      // The new answer stands; the old bytes stay until the next delete or purge that checks them.
      log.error(
        { err, source: ref.source, path: ref.path, sha256 },
        'could not release replaced source bytes',
      );
    }
  }

  private done(
    ref: SourceRef,
    result: Outcome,
    started: number,
    log: Logger,
    fields: Record<string, unknown>,
  ) {
    const seconds = (performance.now() - started) / 1000;
    this.deps.metrics.sourceFetches.inc({ source: ref.source, result });
    this.deps.metrics.sourceFetchDuration.observe({ source: ref.source, result }, seconds);
    log.info(
      { source: ref.source, path: ref.path, result, ms: Math.round(seconds * 1000), ...fields },
      'source fetch',
    );
  }

  private failed(ref: SourceRef, err: unknown, started: number, log: Logger): void {
    const seconds = (performance.now() - started) / 1000;
    const reason = refusalReason(err);
    const result = reason ? 'refused' : 'error';
    this.deps.metrics.sourceFetches.inc({ source: ref.source, result });
    this.deps.metrics.sourceFetchDuration.observe({ source: ref.source, result }, seconds);
    const code = isImgedgeError(err) ? err.code : undefined;
    const fields = { source: ref.source, path: ref.path, result, code, ms: Math.round(seconds * 1000) };
    if (reason) {
      this.deps.metrics.sourceRefusals.inc({ reason });
      const target = err instanceof SourceRefusedError ? err.target : undefined;
      log.warn({ ...fields, reason, target }, 'source refused');
    } else {
      log.warn({ ...fields, err: isImgedgeError(err) ? (err.cause ?? err) : err }, 'source fetch failed');
    }
  }
}

/** The refusal reason of a fetch error (source_refused, and the uploads' checks), else undefined. */
export function refusalReason(err: unknown): string | undefined {
  if (err instanceof SourceRefusedError) return err.reason;
  if (!isImgedgeError(err)) return undefined;
  switch (err.code) {
    case 'payload_too_large':
      return 'too_large';
    case 'unsupported_media_type':
      return 'unsupported_type';
    case 'image_too_large':
      return 'too_many_pixels';
    case 'invalid_image':
      return 'invalid_image';
    default:
      return undefined;
  }
}

function entryOf(row: SourceRow): SourceEntry {
  return { sha256: row.sha256, remaining: row.remaining };
}

function answer(entry: SourceEntry): ResolvedSource {
  if (entry.sha256 === null) throw new ImgedgeError('not_found', 'The source has no such image');
  return { sha256: entry.sha256, maxAgeSeconds: Math.max(1, Math.floor(entry.remaining)) };
}

/** The lock key of one source path across replicas (paths can be long: hashed). */
function flightKey(ref: SourceRef): string {
  return `source:${createHash('sha256').update(formatSourceRef(ref)).digest('hex')}`;
}
