import { describe, expect, it } from 'vitest';
import { EDGE_VARIABLES, EdgeConfigError, parseEdgeConfig } from '../../edge/config.js';
import {
  DEFAULT_API_PREFIX,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_FILE_SIZE,
} from '../../shared/config/defaults.js';
import { call, jsonLogs, makeEnv } from './helpers.js';

const base = {
  ORIGIN_URL: 'http://127.0.0.1:8004/',
  ORIGIN_AUTH_TOKEN: 'o'.repeat(32),
  JWT_SECRET: 'j'.repeat(32),
  SIGNING_KEY: 's'.repeat(32),
};

function problems(env: Record<string, string>): string[] {
  try {
    parseEdgeConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(EdgeConfigError);
    return (e as EdgeConfigError).problems;
  }
  throw new Error('expected an EdgeConfigError');
}

describe('edge config', () => {
  it('applies the documented defaults', () => {
    const c = parseEdgeConfig(base);
    expect(c.origins).toEqual(['http://127.0.0.1:8004']);
    expect(c.deadlines).toEqual({ connectMs: 3_000, originMs: 15_000, uploadMs: 120_000 });
    expect(c.breaker).toEqual({
      failures: 5,
      failureRate: 0.5,
      windowMs: 10_000,
      minRequests: 20,
      cooldownMs: 5_000,
    });
    expect(c.signedUrls).toBe('presets-free');
    expect(c.signingKeys).toEqual(['s'.repeat(32)]);
    expect(c.limits).toEqual({
      image: { requests: 600, windowSeconds: 60 },
      api: { requests: 120, windowSeconds: 60 },
      token: { requests: 20, windowSeconds: 60 },
      timeoutMs: 200,
    });
    expect(c.maxFileSize).toBe(25 * 1024 * 1024);
    expect(c.notFoundTtl).toBe(60);
    expect(c.upstash).toBeUndefined();
    expect(c.presets.names.sort()).toEqual(['card', 'hero', 'thumb']);
  });

  it('takes the defaults it shares with the origin from shared/config/defaults.ts', () => {
    const c = parseEdgeConfig(base);
    expect([c.apiPrefix, c.jwt.issuer, c.jwt.audience, c.maxFileSize]).toEqual([
      DEFAULT_API_PREFIX,
      DEFAULT_JWT_ISSUER,
      DEFAULT_JWT_AUDIENCE,
      DEFAULT_MAX_FILE_SIZE,
    ]);
    expect([DEFAULT_API_PREFIX, DEFAULT_JWT_ISSUER, DEFAULT_JWT_AUDIENCE]).toEqual([
      '/api/v1',
      'imgedge',
      'imgedge-api',
    ]);
  });

  it('EDGE_VARIABLES names every variable the schema reads, and each one is validated', () => {
    expect(EDGE_VARIABLES).toEqual(
      expect.arrayContaining(['UPLOAD_TIMEOUT_MS', 'HEALTH_TIMEOUT_MS', 'CF_API_BASE']),
    );
    expect(new Set(EDGE_VARIABLES).size).toBe(EDGE_VARIABLES.length);
    // A name the schema does not read is ignored; every listed name is checked.
    expect(parseEdgeConfig({ ...base, NOT_A_VARIABLE: 'x' } as Record<string, string>).origins).toEqual([
      'http://127.0.0.1:8004',
    ]);
    expect(problems({ ...base, HEALTH_TIMEOUT_MS: 'x' })).toEqual([
      'HEALTH_TIMEOUT_MS must be a whole number from 1 to 30000',
    ]);
  });

  it('parses rates, sizes and key rotation', () => {
    const c = parseEdgeConfig({
      ...base,
      IMAGE_RATE_LIMIT: '10/2m',
      MAX_FILE_SIZE: '1MB',
      SIGNING_KEY_PREVIOUS: 'p'.repeat(32),
      UPSTASH_REDIS_REST_URL: 'https://x.upstash.io',
      UPSTASH_REDIS_REST_TOKEN: 'tok',
    });
    expect(c.limits.image).toEqual({ requests: 10, windowSeconds: 120 });
    expect(c.maxFileSize).toBe(1_000_000);
    expect(c.signingKeys).toEqual(['s'.repeat(32), 'p'.repeat(32)]);
    expect(c.upstash).toEqual({ url: 'https://x.upstash.io', token: 'tok' });
  });

  it.each([
    [
      { ORIGIN_URL: 'ftp://x' },
      'ORIGIN_URL must be an http(s) URL or a comma-separated list of them ("ftp://x" is not one)',
    ],
    [
      { ORIGIN_URL: 'http://a:1,' },
      'ORIGIN_URL must be an http(s) URL or a comma-separated list of them ("" is not one)',
    ],
    [{ ORIGIN_URL: 'http://a:1, http://a:1/' }, 'ORIGIN_URL lists http://a:1 twice'],
    [
      { ORIGIN_CONNECT_TIMEOUT_MS: '-1' },
      'ORIGIN_CONNECT_TIMEOUT_MS must be a whole number from 0 to 120000',
    ],
    [{ ORIGIN_BREAKER_FAILURES: '0' }, 'ORIGIN_BREAKER_FAILURES must be from 1 to 10000'],
    [
      { ORIGIN_BREAKER_FAILURE_RATE: '0.5' },
      'ORIGIN_BREAKER_FAILURE_RATE must be a percentage from 1 to 100, such as 50%',
    ],
    [
      { ORIGIN_BREAKER_FAILURE_RATE: '150%' },
      'ORIGIN_BREAKER_FAILURE_RATE must be a percentage from 1 to 100',
    ],
    [{ ORIGIN_AUTH_TOKEN: 'short' }, 'ORIGIN_AUTH_TOKEN must be at least 32 characters long'],
    [{ ORIGIN_TIMEOUT_MS: '1.5' }, 'ORIGIN_TIMEOUT_MS must be a whole number from 1 to 120000'],
    [{ ORIGIN_TIMEOUT_MS: '999999' }, 'ORIGIN_TIMEOUT_MS must be from 1 to 120000'],
    [
      { IMAGE_RATE_LIMIT: 'lots' },
      'IMAGE_RATE_LIMIT must look like 600/60s (requests per window; s, m or h)',
    ],
    [{ MAX_FILE_SIZE: 'big' }, 'MAX_FILE_SIZE must be a byte size such as 25MiB'],
    [{ SIGNING_KEY: '' }, 'SIGNING_KEY is required when SIGNED_URLS=presets-free'],
    [{ JWT_SECRET: '' }, 'JWT_SECRET or JWKS_URL is required to verify API tokens'],
    [
      { UPSTASH_REDIS_REST_URL: 'https://x.upstash.io' },
      'UPSTASH_REDIS_REST_TOKEN and UPSTASH_REDIS_REST_URL must be set together',
    ],
    [{ PRESETS: '{"thumb":"w=abc"}' }, 'PRESETS invalid image preset "thumb"'],
    [{ SIGNED_URLS: 'bogus' }, 'SIGNED_URLS must be one of off, presets-free, required (got "bogus")'],
    [{ PRESETS: '{bad json' }, 'PRESETS is not valid JSON: '],
    [{ PRESETS: '["w=200"]' }, 'PRESETS must be a JSON object of preset name → options'],
    [{ SOURCES: '{bad json' }, 'SOURCES is not valid JSON: '],
    [{ SOURCES: '["https://a.example/"]' }, 'SOURCES must be a JSON object of source name → base URL'],
    [{ SOURCES: '{"shop":"ftp://a.example/"}' }, 'SOURCES source shop must be an http(s) URL'],
    [{ SOURCES: '{"Shop":"https://a.example/"}' }, 'SOURCES source name "Shop" must match'],
    [{ WATERMARKS: '{bad json' }, 'WATERMARKS is not valid JSON: '],
    [{ WATERMARKS: '{"Logo":{"image":"abcdefgh12"}}' }, 'WATERMARKS watermark "Logo": its name must match'],
    [{ WATERMARKS: '{"logo":{"image":"no"}}' }, 'WATERMARKS watermark "logo": image must be'],
    [
      { WATERMARKS: '{"logo":{"image":"abcdefgh12","opacity":2}}' },
      'WATERMARKS watermark "logo": opacity must be a number from 0 to 1, got 2',
    ],
    [
      { PRESETS: '{"marked":"w=200,wm=logo"}' },
      'PRESETS preset marked names watermark logo, which WATERMARKS does not define',
    ],
    [
      { CDN_CGI_SIGNED_URLS: 'open' },
      'CDN_CGI_SIGNED_URLS must be one of off, presets-free, required (got "open")',
    ],
    [
      { SIGNED_URLS: 'off', CDN_CGI_SIGNED_URLS: 'required', SIGNING_KEY: '' },
      'SIGNING_KEY is required when CDN_CGI_SIGNED_URLS=required',
    ],
  ])('refuses %j naming the variable', (patch, message) => {
    const found = problems({ ...base, ...patch });
    expect(found).toHaveLength(1);
    expect(found[0]!.startsWith(message)).toBe(true);
  });

  it('JWKS cache max age and cooldown: defaults 10 min and 30 s, configurable for rotations', () => {
    expect(parseEdgeConfig(base).jwt).toMatchObject({ jwksCacheMaxAgeMs: 600_000, jwksCooldownMs: 30_000 });
    const c = parseEdgeConfig({ ...base, JWKS_CACHE_MAX_AGE_MS: '60000', JWKS_COOLDOWN_MS: '0' });
    expect(c.jwt).toMatchObject({ jwksCacheMaxAgeMs: 60_000, jwksCooldownMs: 0 });
    expect(problems({ ...base, JWKS_COOLDOWN_MS: '-1' })[0]).toMatch(
      /^JWKS_COOLDOWN_MS must be a whole number/,
    );
  });

  it('ORIGIN_URL: one URL or a comma-separated list; breaker settings and the connect deadline', () => {
    const c = parseEdgeConfig({
      ...base,
      ORIGIN_URL: ' https://a.example/ , http://10.0.0.2:8004',
      ORIGIN_CONNECT_TIMEOUT_MS: '0',
      ORIGIN_BREAKER_FAILURES: '3',
      ORIGIN_BREAKER_FAILURE_RATE: '25%',
      ORIGIN_BREAKER_WINDOW_MS: '30000',
      ORIGIN_BREAKER_MIN_REQUESTS: '8',
      ORIGIN_BREAKER_COOLDOWN_MS: '12000',
    });
    expect(c.origins).toEqual(['https://a.example', 'http://10.0.0.2:8004']);
    expect(c.deadlines.connectMs).toBe(0);
    expect(c.breaker).toEqual({
      failures: 3,
      failureRate: 0.25,
      windowMs: 30_000,
      minRequests: 8,
      cooldownMs: 12_000,
    });
    expect(parseEdgeConfig({ ...base, ORIGIN_BREAKER_FAILURE_RATE: '100' }).breaker.failureRate).toBe(1);
  });

  it('SOURCES: none by default; parsed with parseSources (bases end in /)', () => {
    expect(parseEdgeConfig(base).sources.size).toBe(0);
    const c = parseEdgeConfig({
      ...base,
      SOURCES: '{"default":"https://www.example.com","shop":"https://cdn.shop.example/images"}',
    });
    expect([...c.sources]).toEqual([
      ['default', 'https://www.example.com/'],
      ['shop', 'https://cdn.shop.example/images/'],
    ]);
  });

  it('WATERMARKS: none by default; parsed with parseWatermarks (defaults filled); presets may name one', () => {
    expect(parseEdgeConfig(base).watermarks.size).toBe(0);
    const c = parseEdgeConfig({
      ...base,
      WATERMARKS: '{"logo":{"image":"abcdefgh12","gravity":"north","repeat":true}}',
      PRESETS: '{"marked":"w=200,wm=logo"}',
    });
    expect(c.watermarks.get('logo')).toEqual({
      name: 'logo',
      image: 'abcdefgh12',
      gravity: 'north',
      opacity: 1,
      scale: 0.25,
      margin: 0,
      repeat: true,
    });
    expect(c.presets.get('marked')?.canonical).toBe('w=200,wm=logo');
  });

  it('CDN_CGI_SIGNED_URLS follows SIGNED_URLS unless set', () => {
    expect(parseEdgeConfig(base).cdnCgiSignedUrls).toBe('presets-free');
    expect(parseEdgeConfig({ ...base, SIGNED_URLS: 'required' }).cdnCgiSignedUrls).toBe('required');
    const migrating = parseEdgeConfig({ ...base, CDN_CGI_SIGNED_URLS: 'off' });
    expect([migrating.signedUrls, migrating.cdnCgiSignedUrls]).toEqual(['presets-free', 'off']);
    expect(
      parseEdgeConfig({ ...base, SIGNING_KEY: '', SIGNED_URLS: 'off', CDN_CGI_SIGNED_URLS: 'off' })
        .cdnCgiSignedUrls,
    ).toBe('off');
  });

  it('needs no signing key when signing is off', () => {
    expect(parseEdgeConfig({ ...base, SIGNING_KEY: '', SIGNED_URLS: 'off' }).signingKeys).toEqual([]);
  });

  it('a bad variable: every request is a 500, and the problem is logged once per isolate', async () => {
    const env = makeEnv({ SIGNED_URLS: 'bogus' });
    for (const path of ['/health', '/img/thumb/abcdefgh', '/health']) {
      const res = await call(path, { env });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { code: string }).code).toBe('internal_error');
    }
    expect(jsonLogs().filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        id: expect.any(String),
        msg: 'Invalid worker configuration: SIGNED_URLS must be one of off, presets-free, required (got "bogus")',
      },
    ]);
  });
});
