/**
 * The smoke test of a running imgedge (local stack, staging or production), through the edge:
 * health → token → upload → variant MISS → HIT → 304 → signed URL accepted, tampered refused →
 * delete. Every step is recorded; the caller decides how to report. It signs what the edge's
 * signing policy (SIGNED_URLS) requires: under `required` the variant URL too; under `off` nothing,
 * and then it checks that signatures are not enforced.
 */
import sharp from 'sharp';
import type { SignedUrlPolicy } from '../../edge/config.js';
import { parseImageRequest } from '../../shared/options/index.js';
import { signPath } from '../../shared/signature.js';

export interface SmokeOptions {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** The edge's SIGNING_KEY; needed unless signedUrls is 'off'. */
  signingKey?: string;
  /** The edge's SIGNED_URLS. Default 'presets-free' (the edge's default). */
  signedUrls?: SignedUrlPolicy;
  apiPrefix?: string;
  timeoutMs?: number;
}

/** The thumb preset's options spelled out: the variant URL when every URL must be signed. */
const THUMB_OPTIONS = 'w=200,h=200,fit=cover,g=attention';

export interface SmokeStep {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** How many steps a complete run has (a run that stops early fails). */
export const SMOKE_STEP_COUNT = 9;

class StepFailure extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailure(message);
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeStep[]> {
  const policy = options.signedUrls ?? 'presets-free';
  if (policy !== 'off' && !options.signingKey) {
    throw new Error(`a signing key is needed with SIGNED_URLS=${policy}`);
  }
  /** `path` with `?sig=` over its canonical path, as every client must sign. */
  const signed = async (path: string) => {
    const { canonicalPath } = parseImageRequest(path.slice('/img'.length), new URLSearchParams(), {});
    return `${path}?sig=${await signPath(canonicalPath, options.signingKey!)}`;
  };
  const base = options.baseUrl.replace(/\/+$/, '');
  const api = `${base}${options.apiPrefix ?? '/api/v1'}`;
  const timeout = options.timeoutMs ?? 30_000;
  const steps: SmokeStep[] = [];
  const http = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, signal: AbortSignal.timeout(timeout) });
  const step = async <T>(name: string, fn: () => Promise<[T, string]>): Promise<T | undefined> => {
    const started = performance.now();
    try {
      const [value, detail] = await fn();
      steps.push({ name, ok: true, ms: Math.round(performance.now() - started), detail });
      return value;
    } catch (err) {
      const detail =
        err instanceof StepFailure ? err.message : `${(err as Error).name}: ${(err as Error).message}`;
      steps.push({ name, ok: false, ms: Math.round(performance.now() - started), detail });
      return undefined;
    }
  };

  await step('edge health', async () => {
    const res = await http(`${base}/health`);
    const body = (await res.json()) as { status: string };
    check(res.status === 200 && body.status === 'ok', `HTTP ${res.status} ${JSON.stringify(body)}`);
    return [true, 'edge and origin ok'];
  });

  const token = await step('token (client credentials)', async () => {
    const res = await http(`${api}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa(`${options.clientId}:${options.clientSecret}`)}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token?: string; scope?: string; code?: string };
    check(res.status === 200 && body.access_token, `HTTP ${res.status} ${body.code ?? ''}`);
    return [body.access_token, `scope "${body.scope}"`];
  });
  if (!token) return steps;

  const image = await step('upload', async () => {
    const res = await http(`${api}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: new Uint8Array(await uniqueJpeg()),
    });
    const body = (await res.json()) as { id?: string; width?: number; code?: string };
    check(res.status === 201 && body.id, `HTTP ${res.status} ${body.code ?? ''}`);
    return [body.id, `id ${body.id}, ${body.width} px wide`];
  });
  if (!image) return steps;

  // A preset needs no signature unless every URL must be signed (then: its options, signed).
  const variantUrl =
    policy === 'required'
      ? `${base}${await signed(`/img/${THUMB_OPTIONS}/${image}`)}`
      : `${base}/img/thumb/${image}`;
  const etag = await step('variant (cache MISS)', async () => {
    const res = await http(variantUrl, { headers: { accept: 'image/webp,*/*' } });
    const bytes = Buffer.from(await res.arrayBuffer());
    check(res.status === 200, `HTTP ${res.status}`);
    check(res.headers.get('x-cache') === 'MISS', `X-Cache ${res.headers.get('x-cache')}`);
    const meta = await sharp(bytes).metadata();
    check(
      meta.format === 'webp' && meta.width === 200 && meta.height === 200,
      `got ${meta.format} ${meta.width}×${meta.height}`,
    );
    return [res.headers.get('etag') ?? '', 'webp 200×200'];
  });
  await step('variant (cache HIT)', async () => {
    const res = await http(variantUrl, { headers: { accept: 'image/webp,*/*' } });
    await res.arrayBuffer();
    check(
      res.status === 200 && res.headers.get('x-cache') === 'HIT',
      `HTTP ${res.status}, X-Cache ${res.headers.get('x-cache')}`,
    );
    return [true, 'served from the edge cache'];
  });
  await step('conditional request (304)', async () => {
    check(etag, 'no ETag from the MISS step');
    const res = await http(variantUrl, { headers: { accept: 'image/webp,*/*', 'if-none-match': etag } });
    check(res.status === 304, `HTTP ${res.status}`);
    return [true, `ETag ${etag}`];
  });

  if (policy === 'off') {
    await step('options without a signature (SIGNED_URLS=off)', async () => {
      const res = await http(`${base}/img/w=321/${image}`);
      await res.arrayBuffer();
      check(res.status === 200, `HTTP ${res.status}`);
      return [true, `/img/w=321/${image}`];
    });
    await step('signature not checked (SIGNED_URLS=off)', async () => {
      const res = await http(`${base}/img/w=3210/${image}?sig=not-a-signature`);
      await res.arrayBuffer();
      check(res.status === 200, `HTTP ${res.status}`);
      return [true, 'ignored'];
    });
  } else {
    await step('signed URL accepted', async () => {
      const path = `/img/w=321/${image}`;
      const res = await http(`${base}${await signed(path)}`);
      await res.arrayBuffer();
      check(res.status === 200, `HTTP ${res.status}`);
      return [true, path];
    });
    await step('tampered signed URL refused', async () => {
      const tampered = (await signed(`/img/w=321/${image}`)).replace('w=321', 'w=3210');
      const res = await http(`${base}${tampered}`);
      const body = (await res.json()) as { code?: string };
      check(res.status === 403 && body.code === 'invalid_signature', `HTTP ${res.status} ${body.code}`);
      return [true, '403 invalid_signature'];
    });
  }

  await step('delete', async () => {
    const res = await http(`${api}/images/${image}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    check(res.status === 204, `HTTP ${res.status}`);
    const after = await http(`${api}/images/${image}`, { headers: { authorization: `Bearer ${token}` } });
    await after.arrayBuffer();
    check(after.status === 404, `after delete: HTTP ${after.status}`);
    return [true, 'gone'];
  });
  return steps;
}

/** A small JPEG with random content, so every run uploads new bytes. */
async function uniqueJpeg(): Promise<Buffer> {
  const width = 640;
  const height = 427;
  const raw = Buffer.alloc(width * height * 3);
  const [a, b, c] = [Math.random() * 255, Math.random() * 255, Math.random() * 255];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[i] = (a + x / 3) % 256;
      raw[i + 1] = (b + y / 2) % 256;
      raw[i + 2] = (c + (x + y) / 4 + Math.random() * 8) % 256;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

export function formatReport(steps: readonly SmokeStep[], baseUrl: string): string {
  const width = Math.max(...steps.map((s) => s.name.length));
  const lines = steps.map(
    (s) => `${s.ok ? 'PASS' : 'FAIL'}  ${s.name.padEnd(width)}  ${String(s.ms).padStart(6)} ms  ${s.detail}`,
  );
  const failed = steps.filter((s) => !s.ok).length;
  const missing = SMOKE_STEP_COUNT - steps.length;
  return [
    `smoke test of ${baseUrl}`,
    ...lines,
    ...(missing > 0 ? [`(${missing} later step(s) not run)`] : []),
    `${steps.length - failed} passed, ${failed + Math.max(0, missing)} failed`,
  ].join('\n');
}
