import { resolve } from 'node:path';
import type { z } from 'zod';
import type { CompiledPreset } from '../../shared/options/index.js';
import type { CompiledPresets } from '../../shared/options/presets.js';
import type { Sources } from '../../shared/sources/index.js';
import type { Watermarks } from '../../shared/watermarks/index.js';
import { databaseUrlFromParts } from '../db/connect.js';
import { databaseEnvSchema, type Env, envSchema } from './schema.js';

export interface Config {
  env: Env['NODE_ENV'];
  debug: boolean;
  logLevel: Env['LOG_LEVEL'];
  host: string;
  port: number;
  apiPrefix: string;
  publicBaseUrl: string | undefined;
  database: { url: string | undefined; poolMax: number; pgliteDir: string };
  redisUrl: string | undefined;
  secretKey: string;
  jwt: { issuer: string; audience: string; ttlSeconds: number; privateJwk: string | undefined };
  originAuthToken: string;
  uploadDir: string;
  outputDir: string;
  maxFileSize: number;
  maxInputPixels: number;
  maxAnimationFrames: number;
  maxOutputPixels: number;
  transform: {
    concurrency: number;
    queue: number;
    timeoutMs: number;
    /** TRANSFORM_AVIF_SHARE as a fraction (1: no cap). */
    avifShare: number;
    /** AVIF_NICE: the AVIF encoder processes' nice value; undefined: AVIF encoded in process. */
    avifNice: number | undefined;
    backgroundQueue: number;
  };
  /** EAGER_PRESETS, resolved against PRESETS. */
  eagerPresets: CompiledPreset[];
  variantCacheBytes: number;
  /** In-memory cache of originals read from S3 (0: off). */
  originalCacheBytes: number;
  /** MEZZANINES: make and use mezzanines (origin/mezzanine/). */
  mezzanines: boolean;
  shutdownTimeoutMs: number;
  /** Object storage for originals; undefined: the local UPLOAD_DIR. */
  s3: S3Config | undefined;
  /** Remote sources: where they are and how they are fetched and cached. */
  sources: SourcesConfig;
  /** POST /api/v1/sign: SIGNING_KEY (undefined: signing is off) and PRESETS, as the edge has them. */
  signing: { key: string | undefined; presets: CompiledPresets };
  /** WATERMARKS (empty: none) and the bytes of decoded watermark pixels kept in memory. */
  watermarks: { definitions: Watermarks; cacheBytes: number };
}

export interface SourcesConfig {
  /** SOURCES: name → base URL (empty: no remote sources). */
  bases: Sources;
  /** SOURCES_ALLOW_PRIVATE_NETWORKS: the dangerous switch. */
  allowPrivateNetworks: boolean;
  ttlSeconds: number;
  notFoundTtlSeconds: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}

export interface S3Config {
  bucket: string;
  endpoint: string | undefined;
  region: string;
  /** Undefined: the AWS SDK's default credential chain. */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  forcePathStyle: boolean;
  /** Key prefix, empty or ending in `/`. */
  prefix: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable} ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/** Validate `source` against a schema; empty values count as unset (as in most .env files). */
function validate<S extends z.ZodObject>(schema: S, source: Source): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** Only the database settings (for the client CLI, which needs no secrets). */
export function loadDatabaseConfig(source: Source = process.env): Config['database'] {
  return databaseConfig(validate(databaseEnvSchema, source));
}

function databaseConfig(
  e: Pick<Env, 'DB_HOST' | 'DB_PORT' | 'DB_USER' | 'DB_PASSWORD' | 'DB_NAME'> & {
    DATABASE_URL?: string;
    DB_POOL_MAX: number;
    PGLITE_DIR: string;
  },
): Config['database'] {
  return {
    url:
      e.DATABASE_URL ??
      databaseUrlFromParts({
        host: e.DB_HOST,
        port: String(e.DB_PORT),
        user: e.DB_USER,
        password: e.DB_PASSWORD,
        name: e.DB_NAME ?? e.DB_USER,
      }),
    poolMax: e.DB_POOL_MAX,
    // `memory://` (and other PGlite URLs) are not paths.
    pgliteDir: e.PGLITE_DIR.includes('://') ? e.PGLITE_DIR : resolve(e.PGLITE_DIR),
  };
}

export function loadConfig(source: Source = process.env): Config {
  const e = validate(envSchema, source);
  return {
    env: e.NODE_ENV,
    debug: e.DEBUG,
    logLevel: e.DEBUG && e.LOG_LEVEL === 'info' ? 'debug' : e.LOG_LEVEL,
    host: e.API_HOST,
    port: e.API_PORT,
    apiPrefix: e.API_PREFIX,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    database: databaseConfig(e),
    redisUrl: e.REDIS_URL ?? redisUrlFromParts(e),
    secretKey: e.SECRET_KEY,
    jwt: {
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.JWT_TTL_SECONDS,
      privateJwk: e.JWT_PRIVATE_JWK,
    },
    originAuthToken: e.ORIGIN_AUTH_TOKEN,
    uploadDir: resolve(e.UPLOAD_DIR),
    outputDir: resolve(e.OUTPUT_DIR),
    maxFileSize: e.MAX_FILE_SIZE,
    maxInputPixels: e.MAX_INPUT_PIXELS,
    maxAnimationFrames: e.MAX_ANIMATION_FRAMES,
    maxOutputPixels: e.MAX_OUTPUT_PIXELS,
    transform: {
      concurrency: e.TRANSFORM_CONCURRENCY,
      queue: e.TRANSFORM_QUEUE,
      timeoutMs: e.TRANSFORM_TIMEOUT_MS,
      avifShare: e.TRANSFORM_AVIF_SHARE,
      avifNice: e.AVIF_NICE === 'off' ? undefined : e.AVIF_NICE,
      backgroundQueue: e.TRANSFORM_BACKGROUND_QUEUE,
    },
    eagerPresets: e.EAGER_PRESETS.map((name) => e.PRESETS.get(name)!),
    variantCacheBytes: e.VARIANT_CACHE_BYTES,
    originalCacheBytes: e.ORIGINAL_CACHE_BYTES,
    mezzanines: e.MEZZANINES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    s3: s3Config(e),
    sources: {
      bases: e.SOURCES ?? new Map(),
      allowPrivateNetworks: e.SOURCES_ALLOW_PRIVATE_NETWORKS,
      ttlSeconds: e.SOURCE_TTL,
      notFoundTtlSeconds: e.SOURCE_NOT_FOUND_TTL,
      connectTimeoutMs: e.SOURCE_CONNECT_TIMEOUT_MS,
      timeoutMs: e.SOURCE_TIMEOUT_MS,
    },
    signing: { key: e.SIGNING_KEY, presets: e.PRESETS },
    watermarks: {
      definitions: e.WATERMARKS ?? new Map(),
      cacheBytes: e.WATERMARK_CACHE_BYTES,
    },
  };
}

function s3Config(e: Env): S3Config | undefined {
  if (!e.S3_BUCKET) return undefined;
  return {
    bucket: e.S3_BUCKET,
    endpoint: e.S3_ENDPOINT?.replace(/\/+$/, ''),
    region: e.S3_REGION,
    credentials:
      e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
        : undefined,
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    prefix: e.S3_PREFIX ?? '',
  };
}

function redisUrlFromParts(e: Env): string | undefined {
  if (!e.REDIS_HOST) return undefined;
  const url = new URL('redis://localhost');
  url.hostname = e.REDIS_HOST;
  url.port = String(e.REDIS_PORT);
  if (e.REDIS_PASSWORD) url.password = e.REDIS_PASSWORD;
  return url.toString();
}
