import type { Migration } from './types.js';

/**
 * Remote sources (SOURCES) fetched and cached: one row per (source, path). A positive row names the
 * original's bytes (content-addressed in the same store as uploads, so shared with an upload of the
 * same bytes) and the source's validators; a negative row (sha256 null) remembers a 404 briefly.
 * Additive: a new table that older origins ignore.
 */
export const m0002SourceCache: Migration = {
  version: '0002_source_cache',
  statements: [
    `create table source_cache (
      source text not null,
      path text not null,
      sha256 text constraint source_cache_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
      bytes bigint constraint source_cache_bytes_positive check (bytes > 0),
      etag text,
      last_modified text,
      fetched_at timestamptz not null default now(),
      fresh_until timestamptz not null,
      primary key (source, path),
      constraint source_cache_negative check ((sha256 is null) = (bytes is null))
    )`,
    // "Is this original still referenced?" (images_sha256_live's counterpart).
    `create index source_cache_sha256 on source_cache (sha256) where sha256 is not null`,
  ],
};
