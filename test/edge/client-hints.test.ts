/**
 * Client hints at the edge (workerd) against the real origin: w=auto/dpr=auto resolve onto the
 * width ladder, the answer carries Accept-CH and Vary on exactly the hints used, the resolved values
 * key the cache (different hints → different entries, MISS each; hints on one ladder step → one
 * entry, HIT), no hints → the documented fallback, Save-Data lowers quality (its own entry). The
 * output width is read from the f=json document of the same options.
 */
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, signed, variantCalls } from './helpers.js';

const photo = () => inject('images').photo;
const ACCEPT_CH = 'Sec-CH-DPR, Sec-CH-Width, Sec-CH-Viewport-Width';

/** A signed w=auto URL; `q` keeps each test's cache entries its own (the ladder widths repeat). */
async function autoUrl(q: number, extra = ''): Promise<string> {
  return signed(`/img/w=auto${extra},q=${q},enlarge=1/${photo()}`);
}

async function widthOf(q: number, headers: Record<string, string>): Promise<number> {
  const res = await call(await signed(`/img/w=auto,f=json,q=${q},enlarge=1/${photo()}`), {
    headers: { accept: ACCEPT.any, ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  return ((await res.json()) as { width: number }).width;
}

describe('w=auto', () => {
  it('rounds the hinted width up to the ladder', async () => {
    expect(await widthOf(31, { 'sec-ch-width': '100' })).toBe(160);
    expect(await widthOf(31, { 'sec-ch-width': '161' })).toBe(320);
    expect(await widthOf(31, { 'sec-ch-width': '400' })).toBe(480);
    // Viewport-Width is CSS pixels: × Sec-CH-DPR.
    expect(await widthOf(31, { 'sec-ch-viewport-width': '300', 'sec-ch-dpr': '2' })).toBe(640);
  });

  it('without hints falls back to 1080 CSS px (× Sec-CH-DPR), on the ladder', async () => {
    expect(await widthOf(32, {})).toBe(1280);
    expect(await widthOf(32, { 'sec-ch-dpr': '1.5' })).toBe(1920);
  });

  it('answers Accept-CH and Vary on exactly the headers used (plus Accept for f=auto)', async () => {
    const url = await autoUrl(33);
    const withWidth = await call(url, { headers: { accept: ACCEPT.any, 'sec-ch-width': '300' } });
    expect(withWidth.status).toBe(200);
    expect(withWidth.headers.get('accept-ch')).toBe(ACCEPT_CH);
    expect(withWidth.headers.get('vary')).toBe('Accept, Sec-CH-Width, Save-Data');
    await withWidth.arrayBuffer();

    const none = await call(url, { headers: { accept: ACCEPT.any } });
    expect(none.headers.get('vary')).toBe(
      'Accept, Sec-CH-Width, Sec-CH-Viewport-Width, Sec-CH-DPR, Save-Data',
    );
    await none.arrayBuffer();

    const explicit = await call(await signed(`/img/w=300,f=jpeg,q=33,dpr=auto/${photo()}`));
    expect(explicit.headers.get('vary')).toBe('Sec-CH-DPR, Save-Data');
    expect(explicit.headers.get('accept-ch')).toBe(ACCEPT_CH);
    await explicit.arrayBuffer();

    // A URL without auto reads no hint: no Accept-CH, Vary as before.
    const plain = await call(await signed(`/img/w=300,q=33/${photo()}`), {
      headers: { accept: ACCEPT.any, 'sec-ch-width': '300' },
    });
    expect(plain.headers.get('accept-ch')).toBeNull();
    expect(plain.headers.get('vary')).toBe('Accept');
    await plain.arrayBuffer();
  });

  it('two clients with different hints get different entries; hints on one step share one', async () => {
    const url = await autoUrl(34);
    const get = async (headers: Record<string, string>) => {
      const before = await variantCalls();
      const res = await call(url, { headers: { accept: ACCEPT.any, ...headers } });
      expect(res.status).toBe(200);
      const bytes = (await res.arrayBuffer()).byteLength;
      return { cache: res.headers.get('x-cache'), originCalls: (await variantCalls()) - before, bytes };
    };
    const small = await get({ 'sec-ch-width': '300' });
    const large = await get({ 'sec-ch-width': '700' });
    expect(small).toMatchObject({ cache: 'MISS', originCalls: 1 });
    expect(large).toMatchObject({ cache: 'MISS', originCalls: 1 });
    expect(large.bytes).toBeGreaterThan(small.bytes);
    // 310 rounds to the same step as 300 (320): one entry, no origin call.
    expect(await get({ 'sec-ch-width': '310' })).toMatchObject({
      cache: 'HIT',
      originCalls: 0,
      bytes: small.bytes,
    });
    expect(await get({ 'sec-ch-width': '300' })).toMatchObject({ cache: 'HIT', originCalls: 0 });
    // Viewport 160 CSS px × DPR 2 = 320: the same entry again.
    expect(await get({ 'sec-ch-viewport-width': '160', 'sec-ch-dpr': '2' })).toMatchObject({
      cache: 'HIT',
      originCalls: 0,
    });
  });

  it('hostile hints are ignored: the fallback entry, never an error or a new key', async () => {
    const url = await autoUrl(35);
    const first = await call(url, { headers: { accept: ACCEPT.any } });
    expect(first.headers.get('x-cache')).toBe('MISS');
    await first.arrayBuffer();
    for (const value of ['-1', '1e9', '0x500', 'x'.repeat(4000), '99999999']) {
      const before = await variantCalls();
      const res = await call(url, {
        headers: { accept: ACCEPT.any, 'sec-ch-width': value, 'sec-ch-dpr': value },
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(res.headers.get('x-cache')).toBe('HIT');
      expect((await variantCalls()) - before).toBe(0);
    }
  });
});

describe('Save-Data', () => {
  it('lowers quality: its own entry, smaller bytes, Vary: Save-Data', async () => {
    const url = await autoUrl(90);
    const normal = await call(url, { headers: { accept: ACCEPT.any, 'sec-ch-width': '300' } });
    const normalBytes = (await normal.arrayBuffer()).byteLength;
    const before = await variantCalls();
    const saving = await call(url, {
      headers: { accept: ACCEPT.any, 'sec-ch-width': '300', 'save-data': 'on' },
    });
    expect(saving.status).toBe(200);
    expect(saving.headers.get('x-cache')).toBe('MISS');
    expect(saving.headers.get('vary')).toContain('Save-Data');
    const savingBytes = (await saving.arrayBuffer()).byteLength;
    expect((await variantCalls()) - before).toBe(1);
    expect(savingBytes).toBeLessThan(normalBytes);
  });
});

describe('the origin', () => {
  it('never takes auto: a direct variant request with w=auto is a 400', async () => {
    const res = await fetch(`${inject('originUrl')}/internal/v1/variants/w=auto/${photo()}?format=jpeg`, {
      headers: { authorization: `Bearer ${inject('originToken')}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('invalid_option');
  });
});

describe('signing', () => {
  it('covers the URL as written (w=auto), not the resolved width', async () => {
    const unsigned = await call(`/img/w=auto,q=36/${photo()}`, { headers: { 'sec-ch-width': '300' } });
    expect(unsigned.status).toBe(403);
    await unsigned.arrayBuffer();
    // A signature over the resolved width does not open the auto URL.
    const resolvedSig = (await signed(`/img/w=320,q=36/${photo()}`)).split('?')[1];
    const wrong = await call(`/img/w=auto,q=36/${photo()}?${resolvedSig}`, {
      headers: { 'sec-ch-width': '300' },
    });
    expect(wrong.status).toBe(403);
    await wrong.arrayBuffer();
    const ok = await call(await signed(`/img/w=auto,q=36/${photo()}`), {
      headers: { 'sec-ch-width': '300' },
    });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });
});
