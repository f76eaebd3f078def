/**
 * The public URL grammar at the edge: URL forms and presets reaching one cache entry, 400 for bad
 * options, 404 for malformed ids, and the signing policy (presets-free and required, key rotation).
 * Every test uses option strings of its own, so Cache API entries never leak between tests.
 */
import { describe, expect, inject, it } from 'vitest';
import { ACCEPT, call, makeEnv, problem, sign, signed, variantCalls } from './helpers.js';

const photo = () => inject('images').photo;

describe('URL forms', () => {
  it('path options, query options, aliases and a reordered spelling share one cache entry', async () => {
    const id = photo();
    const canonical = `/img/w=150,h=100,fit=cover/${id}`;
    const sig = await sign(canonical);
    const headers = { accept: ACCEPT.webpOnly };
    const before = await variantCalls();

    const first = await call(`${canonical}?sig=${sig}`, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const body = await first.arrayBuffer();

    for (const form of [
      `/img/${id}?w=150&h=100&fit=cover&sig=${sig}`, // query options (imgix style)
      `/img/width=150,height=100,fit=cover/${id}?sig=${sig}`, // long aliases
      `/img/fit=cover,h=100,w=150/${id}?sig=${sig}`, // another order
      `/img/w=150,h=100/${id}?fit=cover&sig=${sig}`, // path and query combined
      `/img/w=150,h=100,fit=cover,g=center,dpr=1,f=auto,anim=1/${id}?sig=${sig}`, // defaults spelled out
    ]) {
      const res = await call(form, { headers });
      if (res.status !== 200) throw new Error(`${form} answered ${res.status}: ${await res.text()}`);
      expect(res.headers.get('x-cache'), form).toBe('HIT');
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(body));
    }
    expect(await variantCalls()).toBe(before + 1);
  });

  it('a preset and its explicit equivalent share one cache entry', async () => {
    const id = photo();
    const headers = { accept: ACCEPT.any };
    const before = await variantCalls();

    const preset = await call(`/img/thumb/${id}`, { headers }); // presets need no signature
    expect(preset.status).toBe(200);
    expect(preset.headers.get('x-cache')).toBe('MISS');
    expect(preset.headers.get('content-type')).toBe('image/jpeg');

    const explicit = await call(await signed(`/img/w=200,h=200,fit=cover,g=attention/${id}`), { headers });
    expect(explicit.status).toBe(200);
    expect(explicit.headers.get('x-cache')).toBe('HIT');
    expect(explicit.headers.get('etag')).toBe(preset.headers.get('etag'));
    expect(await variantCalls()).toBe(before + 1);
  });

  it('/img/<id> is the default pipeline and needs no signature', async () => {
    const res = await call(`/img/${photo()}`, { headers: { accept: ACCEPT.any } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
  });
});

describe('bad requests', () => {
  it.each([
    ['w=0', 'w', '1..8192|auto'],
    ['w=9000', 'w', '1..8192|auto'],
    ['width=abc', 'w', '1..8192|auto'],
    ['q=101', 'q', '1..100'],
    ['fit=squash', 'fit', 'cover|contain|fill|inside|outside|crop'],
    ['zoom=2', 'zoom', undefined],
  ])('/img/%s/<id> is a 400 problem naming the key %s', async (options, key, allowed) => {
    const before = await variantCalls();
    const res = await call(`/img/${options}/${photo()}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await problem(res);
    expect(body).toMatchObject({ status: 400, code: 'invalid_option', key });
    if (allowed !== undefined) expect(body.allowed).toBe(allowed);
    expect(String(body.detail)).toContain(options.split('=')[0]);
    expect(await variantCalls()).toBe(before);
  });

  it('query options are validated the same way', async () => {
    const res = await call(`/img/${photo()}?h=-5`);
    expect(res.status).toBe(400);
    expect(await problem(res)).toMatchObject({ code: 'invalid_option', key: 'h' });
  });

  it('an unknown preset is a 400 naming the presets', async () => {
    const res = await call(`/img/huge/${photo()}`);
    expect(res.status).toBe(400);
    expect(await problem(res)).toMatchObject({ code: 'invalid_option', key: 'preset' });
  });

  it.each([
    ['/img/short'], // id too short
    ['/img/bad$id!!xyz'], // characters outside the id alphabet
    ['/img/w=100/h=100/abcdefgh1234'], // too many segments
    ['/img//abcdefgh1234'], // empty options segment
    ['/img/'],
  ])('%s is a 404 problem (a malformed id names no image)', async (path) => {
    const before = await variantCalls();
    const res = await call(path);
    expect(res.status).toBe(404);
    expect(await problem(res)).toMatchObject({ status: 404, code: 'not_found' });
    expect(await variantCalls()).toBe(before);
  });
});

describe('signed URLs, SIGNED_URLS=presets-free (the default bindings)', () => {
  it('arbitrary options need a valid signature of the canonical path', async () => {
    const id = photo();
    const canonical = `/img/w=123/${id}`;
    const good = await sign(canonical);
    const before = await variantCalls();

    const missing = await call(canonical);
    expect(missing.status).toBe(403);
    expect(await problem(missing)).toMatchObject({ code: 'invalid_signature' });

    const garbage = await call(`${canonical}?sig=not-a-signature`);
    expect(garbage.status).toBe(403);

    const otherKey = await call(`${canonical}?sig=${await sign(canonical, 'x'.repeat(40))}`);
    expect(otherKey.status).toBe(403);

    // A signature for other options (w=124) does not carry over: the options were tampered with.
    const tampered = await call(`/img/w=124/${id}?sig=${good}`);
    expect(tampered.status).toBe(403);

    // One flipped character.
    const flipped = `${good.slice(0, 10)}${good[10] === 'A' ? 'B' : 'A'}${good.slice(11)}`;
    expect((await call(`${canonical}?sig=${flipped}`)).status).toBe(403);

    const twice = await call(`${canonical}?sig=${good}&sig=${good}`);
    expect(twice.status).toBe(403);
    expect(await variantCalls()).toBe(before);

    const ok = await call(`${canonical}?sig=${good}`);
    expect(ok.status).toBe(200);
    // The signature covers the canonical path, so every spelling of it carries the same sig.
    const alias = await call(`/img/width=123/${id}?sig=${good}`);
    expect(alias.status).toBe(200);
  });

  it('a signed preset URL must carry a valid signature too (a wrong one is refused)', async () => {
    const res = await call(`/img/card/${photo()}?sig=${await sign('/img/thumb/x', 'y'.repeat(40))}`);
    expect(res.status).toBe(403);
  });

  it('a preset or /img/<id> plus only a format override (f) needs no signature', async () => {
    const id = photo();
    for (const path of [
      `/img/card/${id}?f=avif`,
      `/img/thumb/${id}?format=webp`,
      `/img/${id}?f=png`,
      `/img/f=webp/${id}`,
    ]) {
      const res = await call(path);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    }
  });

  it('a preset with extra options other than f needs a signature over the preset form', async () => {
    const id = photo();
    for (const path of [`/img/card/${id}?q=70`, `/img/card/${id}?f=webp&q=70`]) {
      const res = await call(path);
      expect(res.status, path).toBe(403);
    }
    // Signed as written: the preset's name, then the extra options as a canonical query.
    const sig = await sign(`/img/card/${id}?f=webp&q=70`);
    expect((await call(`/img/card/${id}?quality=70&format=webp&sig=${sig}`)).status).toBe(200);
    expect((await call(`/img/card/${id}?q=70&sig=${await sign(`/img/card/${id}?q=70`)}`)).status).toBe(200);
  });

  it('a 403 names the canonical text to sign, and nothing that is not in the URL', async () => {
    const id = photo();
    const cases = [
      [`/img/width=141,fit=inside/${id}`, `/img/w=141/${id}`],
      [`/img/${id}?height=142&w=143`, `/img/w=143,h=142/${id}`],
      [`/img/card/${id}?quality=71`, `/img/card/${id}?q=71`],
    ] as const;
    for (const [path, canonical] of cases) {
      const key = inject('signingKey');
      const good = await sign(canonical);
      for (const url of [
        path,
        `${path}${path.includes('?') ? '&' : '?'}sig=${await sign(canonical, 'z'.repeat(40))}`,
      ]) {
        const res = await call(url);
        expect(res.status, url).toBe(403);
        const text = await res.clone().text();
        expect(await problem(res), url).toMatchObject({ code: 'invalid_signature', canonical });
        expect(text).not.toContain(key);
        expect(text).not.toContain(good);
      }
      // What the 403 names is what to sign.
      const ok = await call(`${canonical}${canonical.includes('?') ? '&' : '?'}sig=${good}`);
      expect(ok.status, canonical).toBe(200);
    }
  });

  it('SIGNING_KEY_PREVIOUS still verifies during a key rotation; unrelated keys do not', async () => {
    const previous = 'previous-signing-key-0123456789abcdefgh';
    const env = makeEnv({
      SIGNING_KEY: 'current-signing-key-0123456789abcdefghi',
      SIGNING_KEY_PREVIOUS: previous,
    });
    const canonical = `/img/w=127/${photo()}`;
    expect((await call(await signed(canonical, previous), { env })).status).toBe(200);
    expect(
      (await call(await signed(`/img/w=128/${photo()}`, 'current-signing-key-0123456789abcdefghi'), { env }))
        .status,
    ).toBe(200);
    // The default key is not configured in this env.
    expect((await call(await signed(`/img/w=129/${photo()}`), { env })).status).toBe(403);
  });
});

describe('signed URLs, SIGNED_URLS=required', () => {
  const env = () => makeEnv({ SIGNED_URLS: 'required' });

  it('presets and the default pipeline need a signature too', async () => {
    const id = photo();
    const e = env();
    const preset = await call(`/img/hero/${id}`, { env: e });
    expect(preset.status).toBe(403);
    expect(await problem(preset)).toMatchObject({ code: 'invalid_signature' });
    expect((await call(`/img/${id}`, { env: e })).status).toBe(403);
    expect((await call(`/img/w=131/${id}`, { env: e })).status).toBe(403);
  });

  it('a preset URL is signed as written, so editing PRESETS keeps its signature valid', async () => {
    const id = photo();
    const sig = await sign(`/img/hero/${id}`);
    const before = await call(`/img/hero/${id}?sig=${sig}`, { env: env(), headers: { accept: ACCEPT.any } });
    expect(before.status).toBe(200);
    // The expanded form (hero is w=1600) is not what a preset URL is signed over.
    expect(
      (await call(`/img/hero/${id}?sig=${await sign(`/img/w=1600/${id}`)}`, { env: env() })).status,
    ).toBe(403);
    // hero redefined: the same signed URL still verifies, and now serves the new definition.
    const edited = makeEnv({ SIGNED_URLS: 'required', PRESETS: '{"hero":"w=100,h=100,fit=cover"}' });
    const after = await call(`/img/hero/${id}?sig=${sig}`, { env: edited, headers: { accept: ACCEPT.any } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    // Extra options are signed as a canonical query after the preset form.
    const extra = `/img/hero/${id}?f=webp`;
    expect((await call(`${extra}&sig=${await sign(extra)}`, { env: edited })).status).toBe(200);
    expect((await call(await signed(`/img/${id}`), { env: env() })).status).toBe(200);
    expect((await call(await signed(`/img/w=132/${id}`), { env: env() })).status).toBe(200);
  });
});

describe('signing off and configured presets', () => {
  it('SIGNED_URLS=off serves arbitrary options without a signature', async () => {
    const env = makeEnv({ SIGNED_URLS: 'off', SIGNING_KEY: '' });
    const res = await call(`/img/w=133,blur=2/${photo()}`, { env });
    expect(res.status).toBe(200);
  });

  it('PRESETS (a JSON var) replaces the built-in presets', async () => {
    const env = makeEnv({ PRESETS: '{"avatar":"w=64,h=64,fit=cover"}' });
    const id = photo();
    const avatar = await call(`/img/avatar/${id}`, { env, headers: { accept: ACCEPT.any } });
    expect(avatar.status).toBe(200);
    // Same cache entry as the explicit form (the cache is shared by every env of this isolate).
    const explicit = await call(await signed(`/img/w=64,h=64,fit=cover/${id}`), {
      headers: { accept: ACCEPT.any },
    });
    expect(explicit.headers.get('x-cache')).toBe('HIT');
    const thumb = await call(`/img/thumb/${id}`, { env });
    expect(thumb.status).toBe(400);
    expect(await problem(thumb)).toMatchObject({ key: 'preset', allowed: 'avatar' });
  });
});
