/**
 * wm= at the edge: a name WATERMARKS does not define is refused here (400 unknown_watermark), so it
 * never reaches a cache or the origin; a malformed one is the grammar's invalid_option; a known one
 * goes on to the origin (the test stack's origin has no WATERMARKS, so its own refusal answers).
 */
import { describe, expect, inject, it } from 'vitest';
import { call, makeEnv, problem } from './helpers.js';

const env = makeEnv({
  SIGNED_URLS: 'off',
  WATERMARKS: JSON.stringify({ logo: { image: 'abcdefgh12', gravity: 'southeast' } }),
  PRESETS: JSON.stringify({ marked: 'w=200,wm=logo' }),
});

describe('wm= at the edge', () => {
  it('refuses an unknown name with 400 unknown_watermark before any cache or origin', async () => {
    const id = inject('images').missing;
    const res = await call(`/img/w=100,wm=nosuch/${id}`, { env });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-cache')).toBeNull();
    expect(await problem(res)).toMatchObject({ code: 'unknown_watermark', key: 'wm', allowed: 'logo' });
    const query = await call(`/img/${id}?watermark=nosuch`, { env });
    expect(await problem(query)).toMatchObject({ code: 'unknown_watermark' });
  });

  it.each(['Logo', 'a'.repeat(33), 'a.b', ''])(
    'refuses the malformed name %j with invalid_option',
    async (name) => {
      const res = await call(`/img/wm=${name}/${inject('images').missing}`, { env });
      expect(await problem(res)).toMatchObject({ status: 400, code: 'invalid_option', key: 'wm' });
    },
  );

  it('passes a configured name (and a preset naming it) on to the origin', async () => {
    const id = inject('images').photo;
    for (const path of [`/img/w=100,wm=logo/${id}`, `/img/marked/${id}`]) {
      const body = await problem(await call(path, { env }));
      // The origin's own refusal: it has no WATERMARKS (the edge's would list "logo").
      expect(body, path).toMatchObject({ code: 'unknown_watermark' });
      expect(String(body.detail)).toContain('no watermarks are configured');
    }
  });
});
