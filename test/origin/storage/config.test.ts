/** The S3_* variables: defaults, mapping to Config.s3, and the validation naming the variable to fix. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../origin/config/load.js';
import { originEnv } from '../../support/origin.js';

const base = originEnv({ upload: '/tmp/imgedge-cfg-u', output: '/tmp/imgedge-cfg-v' });

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.variable);
    throw err;
  }
  return [];
}

describe('S3 configuration', () => {
  it('no S3_BUCKET: originals stay in the local folder', () => {
    expect(loadConfig(base).s3).toBeUndefined();
  });

  it('S3_BUCKET alone: region auto, virtual-hosted style, no prefix, the SDK default credentials', () => {
    expect(loadConfig({ ...base, S3_BUCKET: 'imgedge-originals' }).s3).toEqual({
      bucket: 'imgedge-originals',
      endpoint: undefined,
      region: 'auto',
      credentials: undefined,
      forcePathStyle: false,
      prefix: '',
    });
  });

  it('every variable maps (R2-style endpoint, keys, path style, a prefix gaining its slash)', () => {
    const s3 = loadConfig({
      ...base,
      S3_BUCKET: 'imgedge-originals',
      S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com/',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'AKID',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'prod',
    }).s3;
    expect(s3).toEqual({
      bucket: 'imgedge-originals',
      endpoint: 'https://acct.r2.cloudflarestorage.com',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      forcePathStyle: true,
      prefix: 'prod/',
    });
  });

  it('refuses bad values, naming the variable', () => {
    expect(problems({ S3_BUCKET: 'B' })).toEqual(['S3_BUCKET']);
    expect(problems({ S3_BUCKET: 'imgedge-x', S3_ENDPOINT: 'not a url' })).toEqual(['S3_ENDPOINT']);
    expect(problems({ S3_BUCKET: 'imgedge-x', S3_FORCE_PATH_STYLE: 'maybe' })).toEqual([
      'S3_FORCE_PATH_STYLE',
    ]);
    expect(problems({ S3_BUCKET: 'imgedge-x', S3_PREFIX: '/abs' })).toEqual(['S3_PREFIX']);
  });

  it('the key id and the secret are set together', () => {
    expect(problems({ S3_BUCKET: 'imgedge-x', S3_ACCESS_KEY_ID: 'AKID' })).toEqual(['S3_SECRET_ACCESS_KEY']);
    expect(problems({ S3_BUCKET: 'imgedge-x', S3_SECRET_ACCESS_KEY: 's' })).toEqual(['S3_ACCESS_KEY_ID']);
  });

  it('S3 settings without S3_BUCKET are a mistake, not silently ignored', () => {
    expect(problems({ S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual(['S3_BUCKET']);
  });
});
