import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../origin/config/load.js';
import {
  DEFAULT_API_PREFIX,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_ISSUER,
  DEFAULT_MAX_FILE_SIZE,
} from '../../../shared/config/defaults.js';

const base = { SECRET_KEY: 's'.repeat(32), ORIGIN_AUTH_TOKEN: 't'.repeat(32) };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.variable} ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('origin config', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(8004);
    expect(c.host).toBe('0.0.0.0');
    expect(c.apiPrefix).toBe('/api/v1');
    expect(c.maxFileSize).toBe(25 * 1024 * 1024);
    expect(c.maxInputPixels).toBe(50_000_000);
    expect(c.maxAnimationFrames).toBe(200);
    expect(c.maxOutputPixels).toBe(8192 * 8192);
    expect(c.jwt).toMatchObject({ issuer: 'imgedge', audience: 'imgedge-api', ttlSeconds: 900 });
    expect(c.database.url).toBeUndefined();
    expect(c.database.pgliteDir).toMatch(/data\/pglite$/);
    expect(c.transform.queue).toBe(64);
    expect(c.transform.concurrency).toBe(Number(process.env.UV_THREADPOOL_SIZE) || 4);
  });

  it('takes the defaults it shares with the edge from shared/config/defaults.ts', () => {
    const c = loadConfig(base);
    expect([c.apiPrefix, c.jwt.issuer, c.jwt.audience, c.maxFileSize]).toEqual([
      DEFAULT_API_PREFIX,
      DEFAULT_JWT_ISSUER,
      DEFAULT_JWT_AUDIENCE,
      DEFAULT_MAX_FILE_SIZE,
    ]);
  });

  it('names every missing secret', () => {
    expect(problems({})).toEqual(['SECRET_KEY is required', 'ORIGIN_AUTH_TOKEN is required']);
    expect(problems({ ...base, SECRET_KEY: 'short' })).toEqual([
      'SECRET_KEY must be at least 32 characters long',
    ]);
  });

  it.each([
    ['API_PORT', '80a', 'API_PORT must be a whole number from 0 to 65535'],
    ['API_PORT', '70000', 'API_PORT Too big: expected number to be <=65535'],
    ['MAX_FILE_SIZE', 'lots', 'MAX_FILE_SIZE must be a byte size such as 26214400, 25MB or 25MiB'],
    ['ORIGINAL_CACHE_BYTES', '-1', 'ORIGINAL_CACHE_BYTES must be 0 (off) or a byte size'],
    ['DEBUG', 'maybe', 'DEBUG must be true/false (or 1/0, yes/no, on/off)'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a URL (postgres: or postgresql:)'],
    ['API_PREFIX', 'api/v1/', 'API_PREFIX must be a path such as /api/v1 (no trailing slash)'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL'],
    ['JWT_PRIVATE_JWK', '{"kty":"oct"}', 'JWT_PRIVATE_JWK must be a private EC P-256 JWK'],
    ['MAX_ANIMATION_FRAMES', '0', 'MAX_ANIMATION_FRAMES Too small: expected number to be >=1'],
    ['MAX_ANIMATION_FRAMES', '2e2', 'MAX_ANIMATION_FRAMES must be a whole number from 1 to 100000'],
    ['MAX_OUTPUT_PIXELS', '-5', 'MAX_OUTPUT_PIXELS must be a whole number from 1 to 1000000000000'],
  ])('refuses %s=%s naming the variable', (key, value, message) => {
    const [first, ...rest] = problems({ ...base, [key]: value });
    expect(rest).toEqual([]);
    expect(first?.startsWith(message)).toBe(true);
  });

  it('lanes and eager presets: TRANSFORM_AVIF_SHARE, TRANSFORM_BACKGROUND_QUEUE, EAGER_PRESETS against PRESETS', () => {
    const d = loadConfig(base);
    expect(d.transform).toMatchObject({ avifShare: 0.5, backgroundQueue: 256 });
    expect(d.eagerPresets).toEqual([]);
    const c = loadConfig({
      ...base,
      TRANSFORM_AVIF_SHARE: '25%',
      TRANSFORM_BACKGROUND_QUEUE: '10',
      EAGER_PRESETS: ' thumb, card,thumb ',
    });
    expect(c.transform).toMatchObject({ avifShare: 0.25, backgroundQueue: 10 });
    expect(c.eagerPresets.map((p) => [p.name, p.canonical])).toEqual([
      ['thumb', 'w=200,h=200,fit=cover,g=attention'],
      ['card', 'w=600,h=400,fit=cover'],
    ]);
    const custom = loadConfig({
      ...base,
      PRESETS: '{"avatar":"w=64,h=64,fit=cover,f=webp"}',
      EAGER_PRESETS: 'avatar',
    });
    expect(custom.eagerPresets.map((p) => p.name)).toEqual(['avatar']);
    expect(problems({ ...base, TRANSFORM_AVIF_SHARE: '0%' })).toEqual([
      'TRANSFORM_AVIF_SHARE must be a percentage from 1 to 100',
    ]);
    expect(problems({ ...base, TRANSFORM_AVIF_SHARE: 'half' })).toEqual([
      'TRANSFORM_AVIF_SHARE must be a percentage from 1 to 100, such as 50%',
    ]);
    expect(problems({ ...base, EAGER_PRESETS: 'thumb,nope' })).toEqual([
      'EAGER_PRESETS names "nope", which is not a preset (PRESETS has thumb, card, hero)',
    ]);
    expect(problems({ ...base, PRESETS: '{"auto":"w=auto"}', EAGER_PRESETS: 'auto' })).toEqual([
      'EAGER_PRESETS names "auto", whose size depends on each client\'s hints (w=auto or dpr=auto)',
    ]);
    expect(problems({ ...base, PRESETS: '{bad' })[0]).toMatch(/^PRESETS is not valid JSON: /);
  });

  it('AVIF_NICE: 10 by default, 0..19, or off (AVIF encoded in process)', () => {
    expect(loadConfig(base).transform.avifNice).toBe(10);
    expect(loadConfig({ ...base, AVIF_NICE: '19' }).transform.avifNice).toBe(19);
    expect(loadConfig({ ...base, AVIF_NICE: ' OFF ' }).transform.avifNice).toBeUndefined();
    for (const bad of ['20', '-1', 'low'])
      expect(problems({ ...base, AVIF_NICE: bad })).toEqual([
        'AVIF_NICE must be off or a nice value from 0 to 19',
      ]);
  });

  it('ORIGINAL_CACHE_BYTES: 256MiB by default, a byte size, or 0 for off', () => {
    expect(loadConfig(base).originalCacheBytes).toBe(256 * 1024 * 1024);
    expect(loadConfig({ ...base, ORIGINAL_CACHE_BYTES: '64MB' }).originalCacheBytes).toBe(64_000_000);
    expect(loadConfig({ ...base, ORIGINAL_CACHE_BYTES: '0' }).originalCacheBytes).toBe(0);
  });

  it('keeps a PGlite URL as it is and resolves a folder', () => {
    expect(loadConfig({ ...base, PGLITE_DIR: 'memory://' }).database.pgliteDir).toBe('memory://');
    expect(loadConfig({ ...base, PGLITE_DIR: 'rel/dir' }).database.pgliteDir).toBe(
      `${process.cwd()}/rel/dir`,
    );
  });

  it('parses sizes and booleans, and treats empty values as unset', () => {
    const c = loadConfig({
      ...base,
      MAX_FILE_SIZE: '10MiB',
      VARIANT_CACHE_BYTES: '2GB',
      DEBUG: 'yes',
      API_PORT: '',
    });
    expect(c.maxFileSize).toBe(10 * 1024 * 1024);
    expect(c.variantCacheBytes).toBe(2_000_000_000);
    expect(c.debug).toBe(true);
    expect(c.logLevel).toBe('debug');
    expect(c.port).toBe(8004);
  });

  it('builds the database and redis URLs from their parts, escaping the password', () => {
    const c = loadConfig({
      ...base,
      DB_HOST: 'db.internal',
      DB_USER: 'img',
      DB_PASSWORD: 'p@ss/word#1',
      DB_NAME: 'imgedge',
      REDIS_HOST: 'cache',
      REDIS_PASSWORD: 'r:pw',
    });
    expect(c.database.url).toBe('postgres://img:p%40ss%2Fword%231@db.internal:5432/imgedge');
    expect(new URL(c.database.url!).password).toBe('p%40ss%2Fword%231');
    expect(decodeURIComponent(new URL(c.database.url!).password)).toBe('p@ss/word#1');
    expect(c.redisUrl).toBe('redis://:r%3Apw@cache:6379');
    expect(problems({ ...base, DB_HOST: 'x', DATABASE_URL: 'postgres://a/b', DB_USER: 'u' })).toEqual([
      'DB_HOST set DATABASE_URL or DB_HOST, not both',
    ]);
  });

  it('WATERMARKS: none by default, parsed once; a bad entry stops the start naming it', () => {
    expect(loadConfig(base).watermarks).toEqual({ definitions: new Map(), cacheBytes: 64 * 1024 ** 2 });
    const c = loadConfig({
      ...base,
      WATERMARKS: '{"logo":{"image":"abcdefgh12","opacity":0.5,"margin":8}}',
      WATERMARK_CACHE_BYTES: '16MiB',
    });
    expect(c.watermarks.cacheBytes).toBe(16 * 1024 ** 2);
    expect(c.watermarks.definitions.get('logo')).toMatchObject({
      opacity: 0.5,
      margin: 8,
      gravity: 'southeast',
    });
    for (const [value, message] of [
      ['{bad', 'WATERMARKS is not valid JSON'],
      ['[]', 'WATERMARKS must be a JSON object of watermark name → definition'],
      [
        '{"logo":{"image":"abcdefgh12","scale":0}}',
        'WATERMARKS watermark "logo": scale must be a number above 0',
      ],
      [
        '{"logo":{"image":"abcdefgh12","margin":1.5}}',
        'WATERMARKS watermark "logo": margin must be a whole number',
      ],
      [
        '{"logo":{"image":"abcdefgh12","gravity":"attention"}}',
        'WATERMARKS watermark "logo": gravity must be one of',
      ],
      [
        '{"logo":{"image":"abcdefgh12","repeat":"yes"}}',
        'WATERMARKS watermark "logo": repeat must be true or false',
      ],
      ['{"logo":{"image":"abcdefgh12","size":3}}', 'WATERMARKS watermark "logo": unknown field "size"'],
      ['{"logo":"abcdefgh12"}', 'WATERMARKS watermark "logo": must be an object'],
      [`{"${'a'.repeat(33)}":{"image":"abcdefgh12"}}`, 'its name must match'],
    ] as const) {
      const found = problems({ ...base, WATERMARKS: value });
      expect(found).toHaveLength(1);
      expect(found[0], value).toContain(message);
    }
  });
});
