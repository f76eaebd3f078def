/**
 * Issue 4's case: cache hits through the edge worker under `wrangler dev` (workerd, local Cache
 * API) against the origin's warm-variant figure for the same variant, in the same run.
 *
 * Setup starts a fresh origin (bench/origin-process.ts) and the worker in front of it
 * (bench/wrangler.ts), requests /img/w=800,f=webp/<id> once through the edge (X-Cache: MISS: the
 * origin transforms it and keeps it in its disk cache), then again until X-Cache: HIT. Both sides
 * are autocannon at 32 connections for half the per-side duration:
 *   baseline  = the origin directly, GET /internal/v1/variants/w=800,f=webp/<id>
 *               (what the edge asks on a miss; a disk-cache hit there),
 *   candidate = the edge, GET /img/w=800,f=webp/<id> (a Cache API hit; the origin is not called).
 * ratio = edge req/s ÷ origin req/s. After each edge round one more request must still be a HIT.
 * `wrangler dev` is a development server (one workerd, local cache on disk, no CDN tier): the
 * figure compares the two tiers on one machine, not production capacity.
 */
import { httpSide } from '../http.js';
import { get, ORIGIN_DB, ORIGIN_RUNNER, type Origin, startOrigin } from '../origin-process.js';
import { type BenchCase, defineCase } from '../types.js';
import { type Edge, startEdge } from '../wrangler.js';

const CONNECTIONS = 32;
const round = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

interface EdgeState {
  origin: Origin;
  edge: Edge;
  originUrl: string;
  edgeUrl: string;
  /** Edge requests until the first HIT (1 MISS + n). */
  requestsToHit: number;
  bytes: number;
  sameBytes: boolean;
  pids: number[];
}

async function expectHit(url: string): Promise<void> {
  const res = await get(url);
  if (res.status !== 200 || res.headers.get('x-cache') !== 'HIT') {
    throw new Error(
      `edge ${url}: HTTP ${res.status}, X-Cache ${res.headers.get('x-cache')} (expected a HIT)`,
    );
  }
}

async function prime(origin: Origin, edge: Edge): Promise<Omit<EdgeState, 'origin' | 'edge' | 'pids'>> {
  const edgeUrl = `${edge.url}/img/w=800,f=webp/${origin.imageId}`;
  const originUrl = origin.variantUrl({ w: 800, f: 'webp' });
  const first = await get(edgeUrl);
  if (first.status !== 200 || first.headers.get('x-cache') !== 'MISS') {
    throw new Error(
      `edge ${edgeUrl}: HTTP ${first.status}, X-Cache ${first.headers.get('x-cache')} (expected a MISS): ` +
        first.body.toString().slice(0, 200),
    );
  }
  // The worker stores the response with waitUntil: the next request may come before the put.
  let requests = 1;
  for (;;) {
    const again = await get(edgeUrl);
    requests++;
    if (again.status === 200 && again.headers.get('x-cache') === 'HIT') {
      const fromOrigin = await get(originUrl, origin.headers);
      if (fromOrigin.status !== 200 || fromOrigin.headers.get('x-variant-cache') !== 'HIT') {
        throw new Error(`origin ${originUrl}: HTTP ${fromOrigin.status}, expected a disk-cache HIT`);
      }
      return {
        edgeUrl,
        originUrl,
        requestsToHit: requests,
        bytes: again.body.length,
        sameBytes: again.body.equals(fromOrigin.body) && again.body.equals(first.body),
      };
    }
    if (requests >= 40) throw new Error(`edge ${edgeUrl}: no X-Cache HIT after ${requests} requests`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const edgeHit = defineCase<EdgeState>({
  name: 'edge-cache-hit-vs-warm-variant',
  baselineLabel: 'origin warm',
  candidateLabel: 'edge HIT (wrangler dev)',
  ratioFloor: null,
  plan: (ctx) => ({ concurrency: CONNECTIONS, durationMs: ctx.durationMs / 2 }),
  setup: async (ctx) => {
    const origin = await startOrigin(ctx.corpus.jpeg12mp.bytes, { label: 'edge' });
    let edge: Edge | undefined;
    try {
      edge = await startEdge(origin);
      const primed = await prime(origin, edge);
      return { origin, edge, ...primed, pids: [origin.pid, ...edge.pids()] };
    } catch (err) {
      await edge?.stop();
      await origin.stop();
      throw err;
    }
  },
  baseline: (s) => httpSide({ urls: s.originUrl, headers: s.origin.headers }),
  candidate: (s) => httpSide({ urls: s.edgeUrl, settle: () => expectHit(s.edgeUrl) }),
  pids: (s) => s.pids,
  note: (_s, r) =>
    `edge ${r.candidate?.opsPerSec.toFixed(0)} vs origin ${r.baseline?.opsPerSec.toFixed(0)} req/s ` +
    `(informational)`,
  fields: (s, r) => ({
    origin_db: ORIGIN_DB,
    origin_runner: ORIGIN_RUNNER,
    connections: CONNECTIONS,
    edge_req_s: round(r.candidate?.opsPerSec, 2),
    edge_p50_ms: round(r.candidate?.p50Ms),
    edge_p99_ms: round(r.candidate?.p99Ms),
    origin_warm_req_s: round(r.baseline?.opsPerSec, 2),
    origin_warm_p50_ms: round(r.baseline?.p50Ms),
    origin_warm_p99_ms: round(r.baseline?.p99Ms),
    body_kb: round(s.bytes / 1024),
    same_bytes: s.sameBytes,
    requests_to_hit: s.requestsToHit,
    processes: s.pids.length,
  }),
  teardown: async (s) => {
    await s.edge.stop();
    await s.origin.stop();
  },
});

export const cases: BenchCase[] = [edgeHit];
