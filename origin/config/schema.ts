/**
 * The origin's configuration: every environment variable, its default and its validation.
 * A bad value stops the process at start with a message naming the variable (see load.ts).
 */
import { z } from 'zod';
import { parseByteSize } from '../../shared/config/bytes.js';
import {
  API_PREFIX_PATTERN,
  DEFAULT_API_PREFIX,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_FILE_SIZE,
} from '../../shared/config/defaults.js';
import { compilePresets, DEFAULT_PRESETS, parsePresetsJson } from '../../shared/options/index.js';
import { parseSources } from '../../shared/sources/index.js';
import { parseWatermarks } from '../../shared/watermarks/index.js';
import { DEFAULT_LIMITS } from '../transform/limits.js';

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''].includes(v), {
    message: 'must be true/false (or 1/0, yes/no, on/off)',
  })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const bytes = z.string().transform((v, ctx) => {
  const n = parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a byte size such as 26214400, 25MB or 25MiB' });
    return z.NEVER;
  }
  return n;
});

/** A byte size, or 0 to turn the feature off. */
const bytesOrOff = z.string().transform((v, ctx) => {
  const n = /^\s*0+\s*$/.test(v) ? 0 : parseByteSize(v);
  if (n === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be 0 (off) or a byte size such as 268435456, 256MB or 256MiB',
    });
    return z.NEVER;
  }
  return n;
});

/** AVIF_NICE: `off` (AVIF encoded in the origin's process) or the encoder processes' nice value. */
const niceOrOff = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v, ctx) => {
    if (v === 'off') return 'off' as const;
    if (/^\d+$/.test(v) && Number(v) <= 19) return Number(v);
    ctx.addIssue({ code: 'custom', message: 'must be off or a nice value from 0 to 19' });
    return z.NEVER;
  });

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.join(' or ')})` },
    );

/** UV_THREADPOOL_SIZE as Node reads it (default 4, at most 1024). */
function libuvPoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/** A variable read by a shared parser that throws an Error whose message names what is wrong. */
function parsedBy<T>(parse: (text: string) => T) {
  return z.string().transform((v, ctx): T => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

/** PRESETS, read as the edge reads it (shared/options/presets.ts), compiled once. */
const presets = parsedBy(parsePresetsJson);

/** SOURCES: name → base URL (shared/sources/config.ts). */
const sources = parsedBy(parseSources);

/** WATERMARKS: name → definition (shared/watermarks/config.ts); the message names the entry. */
const watermarks = parsedBy(parseWatermarks);

/** A comma-separated list of preset names (checked against PRESETS below). */
const presetNames = z.string().transform((v) => [
  ...new Set(
    v
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  ),
]);

/** A percentage from 1 to 100 (`50%` or `50`), as a fraction. */
const percentage = z
  .string()
  .trim()
  .regex(/^\d{1,3}\s*%?$/, 'must be a percentage from 1 to 100, such as 50%')
  .transform((v) => Number.parseInt(v, 10))
  .pipe(
    z
      .number()
      .int()
      .min(1, 'must be a percentage from 1 to 100')
      .max(100, 'must be a percentage from 1 to 100'),
  )
  .transform((n) => n / 100);

const secret = (min: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(min, `must be at least ${min} characters long`);

/** The database variables alone (the client CLI needs only these). */
export const databaseFields = {
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DB_HOST: z.string().trim().min(1).optional(),
  DB_PORT: int(1, 65535).default(5432),
  DB_USER: z.string().optional(),
  DB_PASSWORD: z.string().optional(),
  DB_NAME: z.string().optional(),
  DB_POOL_MAX: int(1, 100).default(10),
  PGLITE_DIR: z.string().trim().min(1).default('./data/pglite'),
};

type DatabaseEnv = z.infer<z.ZodObject<typeof databaseFields>>;

function checkDatabase(env: DatabaseEnv, ctx: z.RefinementCtx): void {
  if (env.DATABASE_URL && env.DB_HOST) {
    ctx.addIssue({ code: 'custom', path: ['DB_HOST'], message: 'set DATABASE_URL or DB_HOST, not both' });
  }
  if (env.DB_HOST && !env.DB_USER) {
    ctx.addIssue({ code: 'custom', path: ['DB_USER'], message: 'is required when DB_HOST is set' });
  }
}

export const databaseEnvSchema = z.object(databaseFields).superRefine(checkDatabase);

export const envSchema = z
  .object({
    ...databaseFields,
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DEBUG: bool.default(false),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    API_HOST: z.string().trim().min(1).default('0.0.0.0'),
    API_PORT: int(0, 65535).default(8004),
    API_PREFIX: z
      .string()
      .trim()
      .regex(API_PREFIX_PATTERN, 'must be a path such as /api/v1 (no trailing slash)')
      .default(DEFAULT_API_PREFIX),
    PUBLIC_BASE_URL: url(['http:', 'https:']).optional(),

    REDIS_URL: url(['redis:', 'rediss:']).optional(),
    REDIS_HOST: z.string().trim().min(1).optional(),
    REDIS_PORT: int(1, 65535).default(6379),
    REDIS_PASSWORD: z.string().optional(),

    SECRET_KEY: secret(32),
    JWT_ISSUER: z.string().trim().min(1).default(DEFAULT_JWT_ISSUER),
    JWT_AUDIENCE: z.string().trim().min(1).default(DEFAULT_JWT_AUDIENCE),
    JWT_TTL_SECONDS: int(60, 86_400).default(900),
    JWT_PRIVATE_JWK: z.string().optional(),
    ORIGIN_AUTH_TOKEN: secret(32),

    UPLOAD_DIR: z.string().trim().min(1).default('./data/uploads'),
    OUTPUT_DIR: z.string().trim().min(1).default('./data/variants'),
    MAX_FILE_SIZE: bytes.default(DEFAULT_MAX_FILE_SIZE),
    MAX_INPUT_PIXELS: int(1, 1_000_000_000).default(50_000_000),
    // Work refused before it starts (422 limit_exceeded naming the variable): frames of an
    // animation (uploads, and transforms that keep them) and a variant's width × height × frames.
    MAX_ANIMATION_FRAMES: int(1, 100_000).default(DEFAULT_LIMITS.maxAnimationFrames),
    MAX_OUTPUT_PIXELS: int(1, 1_000_000_000_000).default(DEFAULT_LIMITS.maxOutputPixels),
    // sharp runs on the libuv pool: as many transforms as it has threads (measured: 4 beats the
    // CPU count of 2 by 9–12 % on a 2-core box, same p99; README "Performance").
    TRANSFORM_CONCURRENCY: int(1, 256).default(libuvPoolSize()),
    TRANSFORM_QUEUE: int(0, 100_000).default(64),
    TRANSFORM_TIMEOUT_MS: int(100, 600_000).default(30_000),
    // Share of the transform slots AVIF encodes may hold (100%: no cap), so WebP/JPEG misses keep
    // their latency while AVIF is busy (README "Priority lanes").
    TRANSFORM_AVIF_SHARE: percentage.default(0.5),
    // AVIF encodes run in child processes at this CPU priority (off: in the origin's process), so
    // they take only what WebP/JPEG work leaves of the CPU (README "Priority lanes").
    AVIF_NICE: niceOrOff.default(10),
    // Background work (eager presets, …) allowed to wait for an idle slot; past it, dropped.
    TRANSFORM_BACKGROUND_QUEUE: int(0, 100_000).default(256),
    // The edge's presets (same variable, same default): for EAGER_PRESETS and POST /api/v1/sign.
    PRESETS: presets.default(() => compilePresets(DEFAULT_PRESETS)),
    // Presets rendered in the background after each upload, in every format class f=auto serves.
    EAGER_PRESETS: presetNames.default([]),
    VARIANT_CACHE_BYTES: bytes.default(1024 ** 3),
    // In-memory cache of originals read from S3 (0: off); unused with local originals.
    ORIGINAL_CACHE_BYTES: bytesOrOff.default(256 * 1024 ** 2),
    // Mezzanines (issue 15): made after uploads, decoded by cold variants that need few pixels.
    MEZZANINES: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(10_000),

    // POST /api/v1/sign: the edge's SIGNING_KEY (unset: the route answers 503).
    SIGNING_KEY: secret(32).optional(),
    // Named watermarks for wm= (unset: none; wm= is then a 400 unknown_watermark).
    WATERMARKS: watermarks.optional(),
    // Decoded watermark pixels kept in memory (LRU by bytes): the image once, and each size drawn.
    WATERMARK_CACHE_BYTES: bytes.default(64 * 1024 ** 2),

    // Remote sources (unset SOURCES: none; /img/@<source>/… is then a 404).
    SOURCES: sources.optional(),
    // DANGEROUS: lets source fetches reach loopback, private, link-local and CGNAT addresses.
    SOURCES_ALLOW_PRIVATE_NETWORKS: bool.default(false),
    // Seconds a fetched source stays fresh: the default and the floor (a longer max-age extends it).
    SOURCE_TTL: int(1, 31_536_000).default(3600),
    // Seconds a source's 404 is remembered (0: never).
    SOURCE_NOT_FOUND_TTL: int(0, 86_400).default(60),
    SOURCE_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5000),
    // Headers and body of one source fetch, redirects included.
    SOURCE_TIMEOUT_MS: int(100, 600_000).default(20_000),

    // Object storage for originals (unset S3_BUCKET: the local UPLOAD_DIR).
    S3_BUCKET: z
      .string()
      .trim()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'must be a bucket name: 3–63 lowercase letters, digits, dots or hyphens',
      )
      .optional(),
    S3_ENDPOINT: url(['http:', 'https:']).optional(),
    S3_REGION: z.string().trim().min(1).default('auto'),
    S3_ACCESS_KEY_ID: z.string().trim().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    S3_FORCE_PATH_STYLE: bool.default(false),
    S3_PREFIX: z
      .string()
      .trim()
      .regex(/^[^/]/, 'must not start with /')
      .transform((v) => (v.endsWith('/') ? v : `${v}/`))
      .optional(),
  })
  .superRefine((env, ctx) => {
    checkDatabase(env, ctx);
    for (const name of env.EAGER_PRESETS) {
      const preset = env.PRESETS.get(name);
      const problem = !preset
        ? `names ${JSON.stringify(name)}, which is not a preset (PRESETS has ${env.PRESETS.names.join(', ') || 'none'})`
        : preset.options.w === 'auto' || preset.options.dpr === 'auto'
          ? `names ${JSON.stringify(name)}, whose size depends on each client's hints (w=auto or dpr=auto)`
          : preset.options.f === 'json'
            ? `names ${JSON.stringify(name)}, a metadata preset (f=json), not an image`
            : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['EAGER_PRESETS'], message: problem });
    }
    if ((env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.S3_ACCESS_KEY_ID === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY'],
        message: 'is required when the other of S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY is set',
      });
    }
    if (!env.S3_BUCKET) {
      const set = (['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_PREFIX'] as const).filter(
        (name) => env[name] !== undefined,
      );
      if (set.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['S3_BUCKET'],
          message: `is required when ${set.join(', ')} is set`,
        });
    }
    if (env.JWT_PRIVATE_JWK !== undefined) {
      try {
        const jwk = JSON.parse(env.JWT_PRIVATE_JWK) as Record<string, unknown>;
        if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new Error();
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_PRIVATE_JWK'],
          message: 'must be a private EC P-256 JWK in JSON (kty "EC", crv "P-256", with "d")',
        });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;
