/**
 * The worker's configuration, from wrangler vars and secrets (the `env` binding), validated with
 * zod once per distinct env object. A bad value makes every request a 500; the problem (naming the
 * variable and what it accepts) is logged once per isolate. `npm start` validates with the same
 * parseEdgeConfig before it starts wrangler.
 */
// zod/mini: the same validation without the classic API's locales, keeping the worker bundle small.
import * as z from 'zod/mini';
import { parseByteSize } from '../shared/config/bytes.js';
import {
  API_PREFIX_PATTERN,
  DEFAULT_API_PREFIX,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_FILE_SIZE,
} from '../shared/config/defaults.js';
import {
  type CompiledPresets,
  compilePresets,
  DEFAULT_PRESETS,
  parsePresetsJson,
} from '../shared/options/index.js';
import { parseSources, type Sources } from '../shared/sources/index.js';
import { parseWatermarks, type Watermarks } from '../shared/watermarks/index.js';

/** The values of SIGNED_URLS (see README, Signed URLs). */
export const SIGNED_URL_POLICIES = ['off', 'presets-free', 'required'] as const;

export interface RateSpec {
  requests: number;
  windowSeconds: number;
}

const rate = (fallback: RateSpec) =>
  z._default(
    z.pipe(
      z.string(),
      z.transform((v: string, ctx) => {
        const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(s|m|h)?\s*$/.exec(v);
        const requests = Number(m?.[1]);
        const n = Number(m?.[2]);
        if (!m || requests < 1 || n < 1) {
          ctx.issues.push({
            code: 'custom',
            message: 'must look like 600/60s (requests per window; s, m or h)',
            input: v,
          });
          return fallback;
        }
        const unit = m[3] === 'h' ? 3600 : m[3] === 'm' ? 60 : 1;
        return { requests, windowSeconds: n * unit };
      }),
    ),
    fallback,
  );

const int = (min: number, max: number, fallback: number) =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)),
      z.transform((v: string, ctx) => {
        const n = Number(v);
        if (n < min || n > max)
          ctx.issues.push({ code: 'custom', message: `must be from ${min} to ${max}`, input: v });
        return n;
      }),
    ),
    fallback,
  );

const isHttpUrl = (v: string) => /^https?:\/\/[^/]+/.test(v) && URL.canParse(v);
const withoutTrailingSlash = (v: string) => v.replace(/\/+$/, '');

const httpUrl = z.pipe(
  z.string().check(z.refine(isHttpUrl, 'must be an http(s) URL')),
  z.transform(withoutTrailingSlash),
);

/** ORIGIN_URL: one origin (a load balancer's URL, the common case) or a comma-separated list. */
const originUrls = z.pipe(
  z.string(),
  z.transform((v: string, ctx): string[] => {
    const urls = v.split(',').map((u) => u.trim());
    const bad = urls.find((u) => !isHttpUrl(u));
    if (bad !== undefined) {
      ctx.issues.push({
        code: 'custom',
        message: `must be an http(s) URL or a comma-separated list of them (${JSON.stringify(bad)} is not one)`,
        input: v,
      });
      return [];
    }
    const list = urls.map(withoutTrailingSlash);
    const twice = list.find((u, i) => list.indexOf(u) !== i);
    if (twice !== undefined) {
      ctx.issues.push({ code: 'custom', message: `lists ${twice} twice`, input: v });
    }
    return list;
  }),
);

/** A percentage, `50` or `50%`, as a ratio (0.5). */
const percent = (fallback: number) =>
  z._default(
    z.pipe(
      z.string().check(z.regex(/^\s*\d{1,3}\s*%?\s*$/, 'must be a percentage from 1 to 100, such as 50%')),
      z.transform((v: string, ctx) => {
        const n = Number.parseInt(v, 10);
        if (n < 1 || n > 100)
          ctx.issues.push({ code: 'custom', message: 'must be a percentage from 1 to 100', input: v });
        return n / 100;
      }),
    ),
    fallback / 100,
  );

/** One of a fixed set of values; the message lists them and echoes what was given. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) => `must be one of ${values.join(', ')} (got ${JSON.stringify(issue.input)})`,
  });

/** PRESETS: a JSON object of preset name → option string, compiled (validated) once. */
const presets = z.pipe(
  z.string(),
  z.transform((v: string, ctx): CompiledPresets => {
    try {
      return parsePresetsJson(v);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
      return compilePresets({});
    }
  }),
);

/** SOURCES: a JSON object of source name → base URL (shared/sources/config.ts parseSources). */
const sources = z.pipe(
  z.string(),
  z.transform((v: string, ctx): Sources => {
    try {
      return parseSources(v);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
      return new Map();
    }
  }),
);

/** WATERMARKS: a JSON object of watermark name → definition (shared/watermarks/config.ts). */
const watermarks = z.pipe(
  z.string(),
  z.transform((v: string, ctx): Watermarks => {
    try {
      return parseWatermarks(v);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: v });
      return new Map();
    }
  }),
);

const secret = z.string().check(z.minLength(32, 'must be at least 32 characters long'));
const text = (fallback: string) => z._default(z.string().check(z.minLength(1)), fallback);

/**
 * Every variable the worker reads, with its default and validation: the one list. The bindings
 * type, `npm start`'s variables for wrangler dev (scripts/stack.ts) and the config type all derive
 * from it; wrangler.toml sets only what differs per environment.
 */
const variables = z
  .object({
    ORIGIN_URL: originUrls,
    ORIGIN_AUTH_TOKEN: secret,
    ORIGIN_TIMEOUT_MS: int(1, 120_000, 15_000),
    UPLOAD_TIMEOUT_MS: int(1, 600_000, 120_000),
    // 0 turns the connect deadline off. Defaults: README, "Several origins, circuit breakers".
    ORIGIN_CONNECT_TIMEOUT_MS: int(0, 120_000, 3_000),
    ORIGIN_BREAKER_FAILURES: int(1, 10_000, 5),
    ORIGIN_BREAKER_FAILURE_RATE: percent(50),
    ORIGIN_BREAKER_WINDOW_MS: int(1, 3_600_000, 10_000),
    ORIGIN_BREAKER_MIN_REQUESTS: int(1, 1_000_000, 20),
    ORIGIN_BREAKER_COOLDOWN_MS: int(1, 3_600_000, 5_000),
    API_PREFIX: z._default(
      z.string().check(z.regex(API_PREFIX_PATTERN, 'must be a path such as /api/v1')),
      DEFAULT_API_PREFIX,
    ),
    SIGNED_URLS: z._default(oneOf(SIGNED_URL_POLICIES), 'presets-free'),
    // The policy for /cdn-cgi/image/ URLs (Cloudflare's are unsigned); unset → SIGNED_URLS.
    CDN_CGI_SIGNED_URLS: z.optional(oneOf(SIGNED_URL_POLICIES)),
    SIGNING_KEY: z.optional(secret),
    SIGNING_KEY_PREVIOUS: z.optional(secret),
    PRESETS: z._default(presets, () => compilePresets(DEFAULT_PRESETS)),
    SOURCES: z._default(sources, () => new Map()),
    WATERMARKS: z._default(watermarks, () => new Map()),
    JWT_SECRET: z.optional(secret),
    JWKS_URL: z.optional(httpUrl),
    JWKS_CACHE_MAX_AGE_MS: int(0, 86_400_000, 600_000),
    JWKS_COOLDOWN_MS: int(0, 600_000, 30_000),
    JWT_ISSUER: text(DEFAULT_JWT_ISSUER),
    JWT_AUDIENCE: text(DEFAULT_JWT_AUDIENCE),
    MAX_FILE_SIZE: z._default(
      z.pipe(
        z.string(),
        z.transform((v: string, ctx) => {
          const n = parseByteSize(v);
          if (n === undefined)
            ctx.issues.push({ code: 'custom', message: 'must be a byte size such as 25MiB', input: v });
          return n ?? 0;
        }),
      ),
      DEFAULT_MAX_FILE_SIZE,
    ),
    IMAGE_RATE_LIMIT: rate({ requests: 600, windowSeconds: 60 }),
    API_RATE_LIMIT: rate({ requests: 120, windowSeconds: 60 }),
    TOKEN_RATE_LIMIT: rate({ requests: 20, windowSeconds: 60 }),
    RATE_LIMIT_TIMEOUT_MS: int(1, 10_000, 200),
    UPSTASH_REDIS_REST_URL: z.optional(httpUrl),
    UPSTASH_REDIS_REST_TOKEN: z.optional(z.string().check(z.minLength(1))),
    NOT_FOUND_TTL: int(0, 86_400, 60),
    HEALTH_TIMEOUT_MS: int(1, 30_000, 2_000),
    CF_ZONE_ID: z.optional(z.string().check(z.regex(/^[A-Za-z0-9]{1,64}$/, 'must be a Cloudflare zone id'))),
    CF_API_TOKEN: z.optional(z.string().check(z.minLength(1))),
    CF_API_BASE: z._default(httpUrl, 'https://api.cloudflare.com/client/v4'),
    ENVIRONMENT: text('development'),
  })
  .check(
    z.superRefine((e, ctx) => {
      const issue = (path: string, message: string) =>
        ctx.issues.push({ code: 'custom', path: [path], message, input: e });
      if (e.SIGNED_URLS !== 'off' && !e.SIGNING_KEY)
        issue('SIGNING_KEY', `is required when SIGNED_URLS=${e.SIGNED_URLS}`);
      else if (e.CDN_CGI_SIGNED_URLS !== undefined && e.CDN_CGI_SIGNED_URLS !== 'off' && !e.SIGNING_KEY)
        issue('SIGNING_KEY', `is required when CDN_CGI_SIGNED_URLS=${e.CDN_CGI_SIGNED_URLS}`);
      for (const name of e.PRESETS.names) {
        const wm = e.PRESETS.get(name)?.options.wm;
        if (wm !== undefined && !e.WATERMARKS.has(wm))
          issue('PRESETS', `preset ${name} names watermark ${wm}, which WATERMARKS does not define`);
      }
      if (!e.JWT_SECRET && !e.JWKS_URL) issue('JWT_SECRET', 'or JWKS_URL is required to verify API tokens');
      if (Boolean(e.CF_ZONE_ID) !== Boolean(e.CF_API_TOKEN)) {
        issue('CF_API_TOKEN', 'and CF_ZONE_ID must be set together');
      }
      if (Boolean(e.UPSTASH_REDIS_REST_URL) !== Boolean(e.UPSTASH_REDIS_REST_TOKEN)) {
        issue('UPSTASH_REDIS_REST_TOKEN', 'and UPSTASH_REDIS_REST_URL must be set together');
      }
    }),
  );

/** The validated variables as the worker uses them (grouped, secrets combined). */
function toConfig(e: z.output<typeof variables>) {
  return {
    /** Base URLs of the origins, in ORIGIN_URL's order (usually one). */
    origins: e.ORIGIN_URL,
    originAuthToken: e.ORIGIN_AUTH_TOKEN,
    /** The deadlines of one origin attempt (0 connect: no connect deadline). */
    deadlines: {
      connectMs: e.ORIGIN_CONNECT_TIMEOUT_MS,
      /** Image misses and API calls other than uploads. */
      originMs: e.ORIGIN_TIMEOUT_MS,
      uploadMs: e.UPLOAD_TIMEOUT_MS,
    },
    /** One circuit breaker per origin (edge/origin/breaker.ts). */
    breaker: {
      failures: e.ORIGIN_BREAKER_FAILURES,
      failureRate: e.ORIGIN_BREAKER_FAILURE_RATE,
      windowMs: e.ORIGIN_BREAKER_WINDOW_MS,
      minRequests: e.ORIGIN_BREAKER_MIN_REQUESTS,
      cooldownMs: e.ORIGIN_BREAKER_COOLDOWN_MS,
    },
    apiPrefix: e.API_PREFIX,
    signedUrls: e.SIGNED_URLS,
    /** The signing policy of /cdn-cgi/image/ URLs: CDN_CGI_SIGNED_URLS, else SIGNED_URLS. */
    cdnCgiSignedUrls: e.CDN_CGI_SIGNED_URLS ?? e.SIGNED_URLS,
    signingKeys: [e.SIGNING_KEY, e.SIGNING_KEY_PREVIOUS].filter((k): k is string => k !== undefined),
    presets: e.PRESETS,
    /** SOURCES: the named bases remote images may come from (the origin fetches them). */
    sources: e.SOURCES,
    /** WATERMARKS: the names `wm=` may take (the origin composites them). */
    watermarks: e.WATERMARKS,
    jwt: {
      secret: e.JWT_SECRET,
      jwksUrl: e.JWKS_URL,
      /** How long a fetched JWKS is used before it is fetched again. */
      jwksCacheMaxAgeMs: e.JWKS_CACHE_MAX_AGE_MS,
      /** Least time between two fetches when a token names an unknown `kid` (a rotation). */
      jwksCooldownMs: e.JWKS_COOLDOWN_MS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    maxFileSize: e.MAX_FILE_SIZE,
    limits: {
      image: e.IMAGE_RATE_LIMIT,
      api: e.API_RATE_LIMIT,
      token: e.TOKEN_RATE_LIMIT,
      timeoutMs: e.RATE_LIMIT_TIMEOUT_MS,
    },
    upstash:
      e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
        ? { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN }
        : undefined,
    notFoundTtl: e.NOT_FOUND_TTL,
    healthTimeoutMs: e.HEALTH_TIMEOUT_MS,
    /** Cloudflare cache purge on image delete (every colo, by Cache-Tag); unset → no purge. */
    purge:
      e.CF_ZONE_ID && e.CF_API_TOKEN
        ? { zoneId: e.CF_ZONE_ID, apiToken: e.CF_API_TOKEN, apiBase: e.CF_API_BASE }
        : undefined,
    environment: e.ENVIRONMENT,
  };
}

/** The worker's bindings: each variable, as the string wrangler gives (vars and secrets), or unset. */
export type EdgeBindings = { [K in keyof z.input<typeof variables>]?: string };
export type EdgeVariable = keyof EdgeBindings;
/** The variables' names, for `npm start` to hand wrangler dev exactly what the worker reads. */
export const EDGE_VARIABLES = Object.keys(variables.shape) as EdgeVariable[];

const schema = z.pipe(variables, z.transform(toConfig));
export type EdgeConfig = z.output<typeof schema>;
export type SignedUrlPolicy = EdgeConfig['signedUrls'];

export class EdgeConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid worker configuration: ${problems.join('; ')}`);
    this.name = 'EdgeConfigError';
  }
}

const cache = new WeakMap<object, EdgeConfig | EdgeConfigError>();

/**
 * Validated config for this env object, memoized (env is stable for an isolate's lifetime): a
 * failure too, so every request of the isolate gets the same EdgeConfigError object.
 */
export function edgeConfig(env: EdgeBindings): EdgeConfig {
  let hit = cache.get(env);
  if (hit === undefined) {
    try {
      hit = parseEdgeConfig(env);
    } catch (err) {
      if (!(err instanceof EdgeConfigError)) throw err;
      hit = err;
    }
    cache.set(env, hit);
  }
  if (hit instanceof EdgeConfigError) throw hit;
  return hit;
}

export function parseEdgeConfig(env: EdgeBindings): EdgeConfig {
  const input = Object.fromEntries(
    Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''),
  ) as Record<string, string>;
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new EdgeConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'env')} ${i.message}`));
  }
  return parsed.data;
}
