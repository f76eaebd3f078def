/**
 * GET /metrics over real HTTP: Prometheus text exposition with the series DESIGN.md promises, and
 * values that move with the requests made — counted by route *template* (never a raw id or path),
 * transform durations by format, variant cache hits and misses, queue depth, uploads and bytes,
 * plus the default process metrics.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { alphaPng, largeFlatPng, photoJpeg } from '../../support/images.js';
import { parseExposition } from '../../support/metrics.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';

describeDb('/metrics', () => {
  let origin: TestOrigin;
  let token: string;

  beforeAll(async () => {
    origin = await startTestOrigin({ TRANSFORM_CONCURRENCY: '1', TRANSFORM_QUEUE: '16' });
    token = await origin.token();
  });
  afterAll(() => origin?.close());

  const scrape = async () => {
    const res = await fetch(`${origin.url}/metrics`);
    expect(res.status).toBe(200);
    return { res, text: await res.text() };
  };
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('is Prometheus text with every promised metric family, typed, and the process metrics', async () => {
    const { res, text } = await scrape();
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseExposition(text);
    expect(types.get('imgedge_http_requests_total')).toBe('counter');
    expect(types.get('imgedge_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('imgedge_transform_duration_seconds')).toBe('histogram');
    expect(types.get('imgedge_transform_queue_depth')).toBe('gauge');
    expect(types.get('imgedge_variant_cache_total')).toBe('counter');
    expect(types.get('imgedge_uploads_total')).toBe('counter');
    expect(types.get('imgedge_upload_bytes_total')).toBe('counter');
    const rss = samples.find((s) => s.name === 'process_resident_memory_bytes');
    expect(rss?.value).toBeGreaterThan(1024 * 1024);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(samples.find((s) => s.name === 'imgedge_transform_queue_depth')?.value).toBe(0);
  });

  it('counts requests by method, route template and status, never by raw id or path', async () => {
    const up = await origin.upload(await photoJpeg(80, 60, 11), token);
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    const missing = `nope${randomBytes(8).toString('hex')}`;
    const junkPath = `/no-such-route-${randomBytes(8).toString('hex')}`;
    const labels = { method: 'GET', route: '/api/v1/images/:id', status: '200' };
    const before = await origin.metric('imgedge_http_requests_total', labels);
    const before404 = await origin.metric('imgedge_http_requests_total', { ...labels, status: '404' });
    const beforeDuration = await origin.metric('imgedge_http_request_duration_seconds_count', labels);

    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${origin.api}/images/${id}`, { headers: auth() })).status).toBe(200);
    }
    expect((await fetch(`${origin.api}/images/${missing}`, { headers: auth() })).status).toBe(404);
    expect((await fetch(`${origin.api}/images/${missing}`)).status).toBe(401);
    expect((await fetch(`${origin.url}${junkPath}`)).status).toBe(404);

    expect(await origin.metric('imgedge_http_requests_total', labels)).toBe(before + 3);
    expect(await origin.metric('imgedge_http_requests_total', { ...labels, status: '404' })).toBe(
      before404 + 1,
    );
    expect(await origin.metric('imgedge_http_request_duration_seconds_count', labels)).toBe(
      beforeDuration + 3,
    );
    // The histogram is well formed: +Inf bucket == count, sum > 0.
    expect(
      await origin.metric('imgedge_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBe(beforeDuration + 3);
    expect(await origin.metric('imgedge_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);

    const { text } = await scrape();
    const { samples } = parseExposition(text);
    // No label value anywhere carries an id or a raw path.
    expect(text).not.toContain(id);
    expect(text).not.toContain(missing);
    expect(text).not.toContain(junkPath);
    const routes = new Set(
      samples.filter((s) => s.name === 'imgedge_http_requests_total').map((s) => s.labels.route!),
    );
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    // The unauthenticated request and the unknown path were counted under bounded labels.
    const unauth = samples.find(
      (s) =>
        s.name === 'imgedge_http_requests_total' && s.labels.status === '401' && s.labels.method === 'GET',
    );
    expect(unauth?.labels.route).toMatch(/^\/api\/v1\/images\/(:id|\*)$/);
    const unknown = samples.find(
      (s) =>
        s.name === 'imgedge_http_requests_total' &&
        s.labels.status === '404' &&
        s.labels.route === 'unmatched',
    );
    expect(unknown?.value).toBeGreaterThanOrEqual(1);
  });

  it('uploads and upload bytes count created uploads; a duplicate is counted apart, with no bytes', async () => {
    const body = await photoJpeg(96, 64, 12);
    const created0 = await origin.metric('imgedge_uploads_total', { result: 'created' });
    const dup0 = await origin.metric('imgedge_uploads_total', { result: 'duplicate' });
    const bytes0 = await origin.metric('imgedge_upload_bytes_total');

    expect((await origin.upload(body, token)).status).toBe(201);
    expect(await origin.metric('imgedge_uploads_total', { result: 'created' })).toBe(created0 + 1);
    expect(await origin.metric('imgedge_upload_bytes_total')).toBe(bytes0 + body.byteLength);

    expect((await origin.upload(body, token)).status).toBe(200);
    expect(await origin.metric('imgedge_uploads_total', { result: 'duplicate' })).toBe(dup0 + 1);
    expect(await origin.metric('imgedge_upload_bytes_total')).toBe(bytes0 + body.byteLength);

    const rejected0 = await origin.metric('imgedge_uploads_total', { result: 'rejected' });
    expect((await origin.upload(Buffer.from('not an image at all'), token)).status).toBe(415);
    expect(await origin.metric('imgedge_uploads_total', { result: 'rejected' })).toBe(rejected0 + 1);
  });

  it('a variant miss runs one transform (duration by format); the same variant again is a cache hit', async () => {
    const up = await origin.upload(await photoJpeg(120, 90, 13), token);
    const { id } = (await up.json()) as { id: string };
    const miss0 = await origin.metric('imgedge_variant_cache_total', { event: 'miss' });
    const hit0 = await origin.metric('imgedge_variant_cache_total', { event: 'hit' });
    const webp0 = await origin.metric('imgedge_transform_duration_seconds_count', { format: 'webp' });
    const jpeg0 = await origin.metric('imgedge_transform_duration_seconds_count', { format: 'jpeg' });

    const first = await origin.variant(`w=60/${id}`, 'format=webp');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-variant-cache')).toBe('MISS');
    expect(await origin.metric('imgedge_variant_cache_total', { event: 'miss' })).toBe(miss0 + 1);
    expect(await origin.metric('imgedge_transform_duration_seconds_count', { format: 'webp' })).toBe(
      webp0 + 1,
    );
    expect(await origin.metric('imgedge_transform_duration_seconds_sum', { format: 'webp' })).toBeGreaterThan(
      0,
    );

    const second = await origin.variant(`w=60/${id}`, 'format=webp');
    expect(second.status).toBe(200);
    expect(second.headers.get('x-variant-cache')).toBe('HIT');
    expect(await origin.metric('imgedge_variant_cache_total', { event: 'hit' })).toBe(hit0 + 1);
    expect(await origin.metric('imgedge_variant_cache_total', { event: 'miss' })).toBe(miss0 + 1);
    expect(await origin.metric('imgedge_transform_duration_seconds_count', { format: 'webp' })).toBe(
      webp0 + 1,
    );

    expect((await origin.variant(`w=60/${id}`, 'format=jpeg')).status).toBe(200);
    expect(await origin.metric('imgedge_transform_duration_seconds_count', { format: 'jpeg' })).toBe(
      jpeg0 + 1,
    );
  });

  it('labels transforms by the requested format: an alpha source asked for the jpeg class counts as jpeg, not png', async () => {
    const up = await origin.upload(await alphaPng(), token);
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    const jpeg0 = await origin.metric('imgedge_transforms_total', { format: 'jpeg', result: 'ok' });
    const png0 = await origin.metric('imgedge_transforms_total', { format: 'png', result: 'ok' });

    const res = await origin.variant(`w=40/${id}`, 'format=jpeg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(await origin.metric('imgedge_transforms_total', { format: 'jpeg', result: 'ok' })).toBe(jpeg0 + 1);
    expect(await origin.metric('imgedge_transforms_total', { format: 'png', result: 'ok' })).toBe(png0);
  });

  it('the queue depth gauge rises while transforms wait for the (single) worker and returns to 0', async () => {
    const up = await origin.upload(await largeFlatPng(2400, 2400), token);
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    // Five distinct slow variants with TRANSFORM_CONCURRENCY=1: four of them must queue.
    const pending = [2000, 1990, 1980, 1970, 1960].map((w) =>
      origin.variant(`w=${w},h=${w}/${id}`, 'format=avif'),
    );
    let settled = false;
    const all = Promise.all(pending).finally(() => {
      settled = true;
    });
    let maxDepth = 0;
    let maxInFlight = 0;
    while (!settled) {
      maxDepth = Math.max(maxDepth, await origin.metric('imgedge_transform_queue_depth'));
      maxInFlight = Math.max(maxInFlight, await origin.metric('imgedge_transform_in_flight'));
      if (maxDepth >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const responses = await all;
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/avif');
    }
    expect(
      await origin.metric('imgedge_transform_duration_seconds_count', { format: 'avif' }),
    ).toBeGreaterThanOrEqual(5);
    expect(maxDepth).toBeGreaterThanOrEqual(2);
    expect(maxInFlight).toBeLessThanOrEqual(1);
    expect(await origin.metric('imgedge_transform_queue_depth')).toBe(0);
    expect(await origin.metric('imgedge_transform_in_flight')).toBe(0);
  }, 60_000);
});
