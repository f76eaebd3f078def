/**
 * f=json at the edge (workerd) against the real origin: the variant's metadata (output as f=auto
 * would serve this client, and the original's record with its placeholder), application/json,
 * negotiated and cached like f=auto (Vary: Accept, its own entry and ETag, HIT the second time).
 */
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, signed, variantCalls } from './helpers.js';

const images = () => inject('images');

interface Info {
  width: number;
  height: number;
  format: string;
  bytes: number;
  original: Record<string, unknown>;
}

describe('f=json', () => {
  it('describes the variant f=auto serves, and the original', async () => {
    const path = await signed(`/img/w=163,f=json/${images().photo}`);
    const res = await call(path, { headers: { accept: ACCEPT.webpOnly } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('vary')).toBe('Accept');
    const info = (await res.json()) as Info;
    expect(info).toMatchObject({ width: 163, height: 122, format: 'webp' });

    // bytes: exactly what the image URL serves the same client.
    const image = await call(await signed(`/img/w=163/${images().photo}`), {
      headers: { accept: ACCEPT.webpOnly },
    });
    expect(image.headers.get('content-type')).toBe('image/webp');
    expect((await image.arrayBuffer()).byteLength).toBe(info.bytes);
    expect(image.headers.get('etag')).not.toBe(res.headers.get('etag'));

    expect(info.original).toMatchObject({
      width: 320,
      height: 240,
      format: 'jpeg',
      frames: 1,
      has_alpha: false,
    });
    expect(info.original.bytes).toBeGreaterThan(0);
    expect(info.original.placeholder).toMatchObject({
      thumbhash: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      color: expect.stringMatching(/^#[0-9a-f]{6}$/),
    });
  });

  it('follows the negotiated class (an alpha source in the jpeg class is png)', async () => {
    const res = await call(await signed(`/img/w=50,f=json/${images().alpha}`), {
      headers: { accept: ACCEPT.any },
    });
    const info = (await res.json()) as Info;
    expect(info.format).toBe('png');
    expect(info.original).toMatchObject({ has_alpha: true, format: 'png' });
  });

  it('is cached like any variant: HIT the second time, no origin call', async () => {
    const path = await signed(`/img/w=164,f=json/${images().photo}`);
    const first = await call(path, { headers: { accept: ACCEPT.chrome } });
    expect(first.headers.get('x-cache')).toBe('MISS');
    const body = await first.text();
    const before = await variantCalls();
    const second = await call(path, { headers: { accept: ACCEPT.chrome } });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(await second.text()).toBe(body);
    expect((await variantCalls()) - before).toBe(0);
    expect((JSON.parse(body) as Info).format).toBe('avif');
  });

  it('is unsigned-free under presets-free like any f (f is the one free option)', async () => {
    const res = await call(`/img/f=json/${images().photo}`, { headers: { accept: ACCEPT.any } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Info).original.width).toBe(320);
  });
});
