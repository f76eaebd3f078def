import type { Migration } from './types.js';

/** Images (one live row per owner + sha256) and OAuth clients. */
export const m0001Init: Migration = {
  version: '0001_init',
  statements: [
    `create table images (
      id text primary key,
      owner text not null,
      sha256 text not null constraint images_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
      bytes bigint not null constraint images_bytes_positive check (bytes > 0),
      width int not null constraint images_width_positive check (width > 0),
      height int not null constraint images_height_positive check (height > 0),
      format text not null constraint images_format_nonempty check (format <> ''),
      frames int not null default 1 constraint images_frames_positive check (frames > 0),
      has_alpha boolean not null,
      created_at timestamptz not null default now(),
      deleted_at timestamptz
    )`,
    // One live row per (owner, sha256); deleted rows keep their history.
    `create unique index images_owner_sha256_live on images (owner, sha256) where deleted_at is null`,
    // Listing an owner's live images newest first, keyset-paginated on (created_at, id).
    `create index images_owner_created_live on images (owner, created_at desc, id desc)
      where deleted_at is null`,
    // "Is this original file still referenced by anyone?"
    `create index images_sha256_live on images (sha256) where deleted_at is null`,
    `create table oauth_clients (
      id text primary key,
      name text not null,
      secret_hash text not null,
      scopes text[] not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    )`,
  ],
};
