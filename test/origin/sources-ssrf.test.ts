/**
 * SSRF with the dangerous setting OFF (SOURCES_ALLOW_PRIVATE_NETWORKS unset): URLs that name or
 * resolve to loopback, private, link-local, CGNAT, metadata and unspecified addresses, IPv4-mapped
 * IPv6, decimal/octal/hex IPv4 spellings, userinfo, escapes from the base, and redirects (and a DNS
 * answer that changes) from an allowed host to a private address — all refused with problem+json
 * naming the reason, and no connection made: listeners on the addresses they name count every
 * connection they get, and must get none.
 *
 * "Resolves to" needs names this file controls: the fetcher is built in-process with an injected
 * resolver (production uses the system's). An "allowed host" needs a public address that is really
 * local: the policy seam treats exactly 127.0.0.2 as public; everything else is the real policy.
 * The last part runs a real origin, SOURCES pointing at loopback spellings and `localhost` (the
 * system resolver), over HTTP.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AddressPolicy, addressPolicy } from '../../origin/sources/address-policy.js';
import { SourceFetcher } from '../../origin/sources/fetch-source.js';
import type { ResolvedAddress, Resolver } from '../../origin/sources/pinned-lookup.js';
import { inspectImage } from '../../origin/uploads/inspect.js';
import { WorkPool } from '../../origin/variants/work-pool.js';
import { problemResponse } from '../../shared/errors.js';
import { parseSourceRef, parseSources } from '../../shared/sources/index.js';
import { describeDb } from '../support/db.js';
import { startTestOrigin, type TestOrigin } from '../support/origin.js';
import {
  type CountingListener,
  imageHandler,
  redirectHandler,
  type SourceServer,
  startCountingListener,
  startSourceServer,
} from '../support/source-server.js';
import { expectProblem, type Problem } from './api/helpers.js';

/** The one loopback address the seam treats as public (the "allowed host"). */
const PUBLIC_STAND_IN = '127.0.0.2';
const realPolicy = addressPolicy({ allowPrivateNetworks: false });
const seamPolicy: AddressPolicy = {
  check: (address) => (address === PUBLIC_STAND_IN ? undefined : realPolicy.check(address)),
};

let v4: CountingListener; // 127.0.0.1:P
let v6: CountingListener | undefined; // [::1]:P, when the machine has IPv6 loopback
let allowed: SourceServer; // 127.0.0.2:P, the "public" host
let temp: string;
const pool = new WorkPool({ concurrency: 1, queue: 8 });

beforeAll(async () => {
  v4 = await startCountingListener('127.0.0.1');
  v6 = await startCountingListener('::1', v4.port).catch(() => undefined);
  allowed = await startSourceServer({ host: PUBLIC_STAND_IN, port: v4.port });
  temp = await mkdtemp(join(tmpdir(), 'imgedge-ssrf-'));
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0a0' } })
    .png()
    .toBuffer();
  allowed.on(
    '/img/ok.png',
    imageHandler(() => png),
  );
});
afterAll(async () => {
  await v4?.close();
  await v6?.close();
  await allowed?.close();
  if (temp) await rm(temp, { recursive: true, force: true });
});

/** Names this file resolves (the first answer; `rebind.test` answers differently the second time). */
const NAMES: Record<string, string[]> = {
  'loop.test': ['127.0.0.1'],
  'six.test': ['::1'],
  'ten.test': ['10.20.30.40'],
  'sixteen.test': ['172.16.9.9'],
  'home.test': ['192.168.0.10'],
  'metadata.test': ['169.254.169.254'],
  'metadata6.test': ['fd00:ec2::254'],
  'cgnat.test': ['100.64.3.4'],
  'zero.test': ['0.0.0.0'],
  'mapped.test': ['::ffff:127.0.0.1'],
  'ula.test': ['fd12:3456::7'],
  // One good address is not enough: every answer is checked.
  'mixed.test': [PUBLIC_STAND_IN, '127.0.0.1'],
  'allowed.test': [PUBLIC_STAND_IN],
  'evil.test': ['127.0.0.1'],
};

function resolverWith(extra: Record<string, string[][]> = {}): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const answers = new Map(Object.entries(extra).map(([k, v]) => [k, [...v]]));
  const resolve = (async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const queued = answers.get(hostname);
    const list = queued && queued.length > 1 ? queued.shift()! : (queued?.[0] ?? NAMES[hostname]);
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as Resolver & { calls: string[] };
  resolve.calls = calls;
  return resolve;
}

function fetcher(bases: Record<string, string>, resolve: Resolver = resolverWith(), policy = realPolicy) {
  return new SourceFetcher({
    sources: parseSources(JSON.stringify(bases)),
    policy,
    resolve,
    connectTimeoutMs: 2000,
    timeoutMs: 5000,
    maxBytes: 1024 * 1024,
    tempPath: () => join(temp, `${Math.random().toString(36).slice(2)}.tmp`),
    inspect: (file) => inspectImage(file, { pool, maxInputPixels: 10_000_000 }),
  });
}

/** Fetch `@s/<path>` from a source at `base`; the refusal as the problem+json a client would get. */
async function refusal(
  base: string,
  path = 'img/x.png',
  resolve?: Resolver,
  policy?: AddressPolicy,
): Promise<Problem> {
  const f = fetcher({ s: base }, resolve, policy);
  try {
    const result = await f.fetch(parseSourceRef(`@s/${path}`));
    throw new Error(`expected a refusal, got ${result.status}`);
  } catch (err) {
    const res = problemResponse(err);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    return (await res.json()) as Problem;
  } finally {
    await f.close();
  }
}

function connections(): number {
  return v4.connections + (v6?.connections ?? 0) + allowed.connections;
}

describe('SSRF: the fetcher with private networks refused (in-process, counted listeners)', () => {
  const P = () => v4.port;
  const named: [label: string, reason: string, base: () => string][] = [
    ['127.0.0.1', 'loopback', () => `http://127.0.0.1:${P()}/`],
    ['[::1]', 'loopback', () => `http://[::1]:${P()}/`],
    ['10/8', 'private', () => `http://10.0.0.1:${P()}/`],
    ['172.16/12', 'private', () => `http://172.16.0.1:${P()}/`],
    ['192.168/16', 'private', () => `http://192.168.0.1:${P()}/`],
    ['169.254.169.254', 'metadata', () => 'http://169.254.169.254/'],
    ['100.64/10', 'cgnat', () => `http://100.64.0.1:${P()}/`],
    ['0.0.0.0', 'unspecified', () => `http://0.0.0.0:${P()}/`],
    ['[::ffff:127.0.0.1]', 'loopback', () => `http://[::ffff:127.0.0.1]:${P()}/`],
    ['decimal 2130706433', 'loopback', () => `http://2130706433:${P()}/`],
    ['octal 0177.0.0.1', 'loopback', () => `http://0177.0.0.1:${P()}/`],
    ['hex 0x7f.0.0.1', 'loopback', () => `http://0x7f.0.0.1:${P()}/`],
    ['short 127.1', 'loopback', () => `http://127.1:${P()}/`],
    ['[fd00:ec2::254]', 'metadata', () => 'http://[fd00:ec2::254]/'],
  ];

  it.each(named)('a URL naming %s is refused before any connection (%s)', async (_label, reason, base) => {
    const before = connections();
    const problem = await refusal(base());
    expect(problem).toMatchObject({ status: 403, code: 'source_refused', reason });
    expect(connections()).toBe(before);
  });

  const resolving: [host: string, reason: string][] = [
    ['loop.test', 'loopback'],
    ['six.test', 'loopback'],
    ['ten.test', 'private'],
    ['sixteen.test', 'private'],
    ['home.test', 'private'],
    ['metadata.test', 'metadata'],
    ['metadata6.test', 'metadata'],
    ['cgnat.test', 'cgnat'],
    ['zero.test', 'unspecified'],
    ['mapped.test', 'loopback'],
    ['ula.test', 'private'],
    ['mixed.test', 'loopback'],
  ];

  it.each(resolving)(
    'a host resolving to a refused address, %s, is refused when connecting (%s)',
    async (host, reason) => {
      const before = connections();
      const resolve = resolverWith();
      const problem = await refusal(`http://${host}:${P()}/`, 'img/x.png', resolve, seamPolicy);
      expect(problem).toMatchObject({ status: 403, code: 'source_refused', reason });
      expect(resolve.calls).toEqual([host]);
      expect(connections()).toBe(before);
    },
  );

  it('the allowed host itself is fetched (the seam is not a blanket refusal)', async () => {
    const f = fetcher({ s: `http://allowed.test:${P()}/img/` }, resolverWith(), seamPolicy);
    try {
      const result = await f.fetch(parseSourceRef('@s/ok.png'));
      expect(result.status).toBe('fetched');
      if (result.status === 'fetched') await rm(result.file.path, { force: true });
      expect(allowed.count('/img/ok.png')).toBe(1);
      // …and without the seam, 127.0.0.2 is loopback like any other.
      expect(await refusal(`http://allowed.test:${P()}/img/`, 'ok.png')).toMatchObject({
        reason: 'loopback',
      });
      expect(allowed.count('/img/ok.png')).toBe(1);
    } finally {
      await f.close();
    }
  });

  it('a redirect from the allowed host to a private address is refused, unconnected', async () => {
    allowed.on('/img/to-loopback', redirectHandler(`http://127.0.0.1:${P()}/img/x.png`));
    allowed.on('/img/to-ten', redirectHandler('http://10.0.0.1/img/x.png'));
    allowed.on('/img/to-metadata', redirectHandler('http://169.254.169.254/latest/meta-data/'));
    allowed.on('/img/to-evil', redirectHandler(`http://evil.test:${P()}/img/x.png`));
    const base = `http://allowed.test:${P()}/img/`;
    const before = v4.connections;
    const cases: [string, string][] = [
      ['to-loopback', 'loopback'],
      ['to-ten', 'private'],
      ['to-metadata', 'metadata'],
      ['to-evil', 'outside_base'],
    ];
    for (const [path, reason] of cases) {
      const problem = await refusal(base, path, resolverWith(), seamPolicy);
      expect(problem, path).toMatchObject({ status: 403, code: 'source_refused', reason });
    }
    expect(allowed.count('/img/to-loopback')).toBe(1);
    expect(v4.connections).toBe(before);
  });

  it('a DNS answer that changes between two connections (rebinding) is checked again: refused', async () => {
    // The allowed host answers 127.0.0.2 first, then 127.0.0.1; the server closes the connection
    // after the redirect, so the next request resolves again.
    allowed.on('/img/rebind-start', redirectHandler('/img/rebind-next.png', 302, { connection: 'close' }));
    const resolve = resolverWith({ 'rebind.test': [[PUBLIC_STAND_IN], ['127.0.0.1']] });
    const before = v4.connections;
    const problem = await refusal(`http://rebind.test:${P()}/img/`, 'rebind-start', resolve, seamPolicy);
    expect(problem).toMatchObject({ code: 'source_refused', reason: 'loopback' });
    expect(resolve.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(allowed.count('/img/rebind-start')).toBe(1);
    expect(allowed.count('/img/rebind-next.png')).toBe(0);
    expect(v4.connections).toBe(before);
  });

  it('userinfo (http://allowed.example@evil/) is refused in a redirect, and in SOURCES at start', async () => {
    allowed.on('/img/userinfo', redirectHandler(`http://allowed.test@evil.test:${P()}/img/x.png`));
    allowed.on('/img/userinfo-same', redirectHandler(`http://user:pw@allowed.test:${P()}/img/ok.png`));
    const base = `http://allowed.test:${P()}/img/`;
    const before = connections();
    for (const path of ['userinfo', 'userinfo-same']) {
      const problem = await refusal(base, path, resolverWith(), seamPolicy);
      expect(problem, path).toMatchObject({ code: 'source_refused', reason: 'userinfo' });
    }
    expect(connections()).toBe(before + 2); // the two redirects themselves, nothing after
    expect(() => parseSources('{"s":"http://allowed.example@evil.test/"}')).toThrow(/credentials/);
  });

  it('escapes from the base (..%2f, dot segments, another path) are refused', async () => {
    allowed.on('/img/esc-encoded', redirectHandler('/img/..%2f..%2fetc/passwd'));
    allowed.on('/img/esc-dots', redirectHandler('/img/../../etc/passwd'));
    allowed.on('/img/esc-sibling', redirectHandler('/images-private/x.png'));
    const base = `http://allowed.test:${P()}/img/`;
    for (const path of ['esc-encoded', 'esc-dots', 'esc-sibling']) {
      const problem = await refusal(base, path, resolverWith(), seamPolicy);
      expect(problem, path).toMatchObject({ code: 'source_refused', reason: 'outside_base' });
    }
    expect(
      allowed.requests.filter((r) => r.path.includes('passwd') || r.path.startsWith('/images-private')),
    ).toEqual([]);
    // A reference cannot even be written with one.
    expect(() => parseSourceRef('@s/..%2f..%2fetc/passwd')).toThrow(/may not contain/);
  });
});

describeDb('SSRF through a real origin (SOURCES_ALLOW_PRIVATE_NETWORKS off)', () => {
  let origin: TestOrigin;
  const sources = () => ({
    loop: `http://127.0.0.1:${v4.port}/`,
    local: `http://localhost:${v4.port}/`,
    dec: `http://2130706433:${v4.port}/`,
    oct: `http://0177.0.0.1:${v4.port}/`,
    hex: `http://0x7f.0.0.1:${v4.port}/`,
    mapped: `http://[::ffff:127.0.0.1]:${v4.port}/`,
    zero: `http://0.0.0.0:${v4.port}/`,
    meta: 'http://169.254.169.254/latest/',
  });

  beforeAll(async () => {
    origin = await startTestOrigin({ SOURCES: JSON.stringify(sources()) });
  });
  afterAll(() => origin?.close());

  it('refuses every loopback spelling, localhost (system resolver) and the metadata address: 403 + reason', async () => {
    const before = connections();
    const expected: Record<string, string> = {
      loop: 'loopback',
      local: 'loopback',
      dec: 'loopback',
      oct: 'loopback',
      hex: 'loopback',
      mapped: 'loopback',
      zero: 'unspecified',
      meta: 'metadata',
    };
    for (const [name, reason] of Object.entries(expected)) {
      const res = await origin.variant(`w=10/@${name}/a.png`, 'format=webp', {
        'x-request-id': `ssrf-${name}`,
      });
      const problem = await expectProblem(res, 403, 'source_refused');
      expect(problem.reason, name).toBe(reason);
      expect(JSON.stringify(problem)).not.toContain('127.0.0.1'); // where it resolved stays in the log
      const line = origin.logs.find((l) => l.msg === 'source refused' && l.request_id === `ssrf-${name}`);
      expect(line, name).toMatchObject({ source: name, reason });
    }
    expect(connections()).toBe(before);
    expect(await origin.metric('imgedge_source_refusals_total', { reason: 'loopback' })).toBe(6);
    // Refusals are never cached: asked again, refused again (and still unconnected).
    await expectProblem(await origin.variant('w=10/@loop/a.png', 'format=webp'), 403, 'source_refused');
    expect(connections()).toBe(before);
  });

  it('refuses ..%2f in a source path before anything is fetched (400 naming it)', async () => {
    const before = connections();
    const problem = await expectProblem(
      await origin.variant('w=10/@loop/..%2f..%2fetc/passwd', 'format=webp'),
      400,
      'invalid_request',
    );
    expect(problem.detail).toMatch(/may not contain \//);
    expect(connections()).toBe(before);
  });
});
