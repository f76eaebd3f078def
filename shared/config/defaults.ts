/**
 * Defaults both tiers share: the edge schema (edge/config.ts) and the origin schema
 * (origin/config/schema.ts) take them from here, so the two cannot drift apart.
 */

/** Where the API is mounted, at the edge and at the origin (API_PREFIX). */
export const DEFAULT_API_PREFIX = '/api/v1';
/** What API_PREFIX may be: one or more path segments, no trailing slash. */
export const API_PREFIX_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;

/** The access tokens' `iss` and `aud` (JWT_ISSUER, JWT_AUDIENCE): the origin signs, the edge checks. */
export const DEFAULT_JWT_ISSUER = 'imgedge';
export const DEFAULT_JWT_AUDIENCE = 'imgedge-api';

/** The largest upload in bytes (MAX_FILE_SIZE): 25 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 25 * 1024 * 1024;
