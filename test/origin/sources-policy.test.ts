/**
 * The rules behind remote source fetches, as tables: which addresses the fetcher may connect to
 * (and why not), what SOURCES_ALLOW_PRIVATE_NETWORKS lets through, how long a fetched source
 * stays fresh, and how SOURCES and its companions are configured.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../origin/config/load.js';
import { type AddressReason, addressPolicy, classifyAddress } from '../../origin/sources/address-policy.js';
import type { SourceHeaders } from '../../origin/sources/fetch-source.js';
import { freshnessSeconds, MAX_FRESHNESS_SECONDS } from '../../origin/sources/freshness.js';
import { originEnv } from '../support/origin.js';

const REFUSED: [address: string, reason: AddressReason][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['169.254.0.1', 'link_local'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.254', 'cgnat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.254', 'benchmarking'],
  ['2001:2::1', 'benchmarking'],
  ['192.0.0.8', 'ietf'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.1', 'documentation'],
  ['203.0.113.1', 'documentation'],
  ['2001:db8::1', 'documentation'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['64:ff9b:1::1', 'private'],
  // IPv6 forms embedding IPv4: judged by the IPv4 inside; mapped/compatible never allowed.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:8.8.8.8', 'ipv4_mapped'],
  ['::127.0.0.1', 'loopback'],
  ['::8.8.8.8', 'ipv4_mapped'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a00:1', 'private'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:a9fe:a9fe::1', 'metadata'],
  ['2001::1', 'reserved'], // Teredo
  ['100::1', 'reserved'],
  ['fec0::1', 'reserved'],
  ['not-an-ip', 'not_an_address'],
  ['', 'not_an_address'],
];

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.15.255.255', // just below 172.16/12
  '172.32.0.1', // just above
  '100.63.255.255', // just below CGNAT
  '100.128.0.1', // just above
  '169.253.255.255',
  '198.17.255.255',
  '198.20.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001:81c::200e',
  '64:ff9b::808:808', // NAT64 of 8.8.8.8
  '2002:808:808::1', // 6to4 of 8.8.8.8
];

describe('address policy', () => {
  it.each(REFUSED)('%s is refused: %s', (address, reason) => {
    expect(classifyAddress(address)).toBe(reason);
    expect(addressPolicy({ allowPrivateNetworks: false }).check(address)).toBe(reason);
  });

  it.each(PUBLIC)('%s is a public address', (address) => {
    expect(classifyAddress(address)).toBeUndefined();
    expect(addressPolicy({ allowPrivateNetworks: false }).check(address)).toBeUndefined();
  });

  it('SOURCES_ALLOW_PRIVATE_NETWORKS lets loopback, private, link-local and CGNAT through, nothing else', () => {
    const open = addressPolicy({ allowPrivateNetworks: true });
    for (const address of [
      '127.0.0.1',
      '::1',
      '10.0.0.1',
      '192.168.1.1',
      'fd12::1',
      '169.254.1.1',
      '100.64.0.1',
    ]) {
      expect(open.check(address), address).toBeUndefined();
    }
    const still: [string, AddressReason][] = [
      ['169.254.169.254', 'metadata'],
      ['fd00:ec2::254', 'metadata'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['::ffff:8.8.8.8', 'ipv4_mapped'],
    ];
    for (const [address, reason] of still) expect(open.check(address), address).toBe(reason);
  });
});

describe('freshness of a fetched source', () => {
  const none: SourceHeaders = {
    cacheControl: undefined,
    expires: undefined,
    date: undefined,
    age: undefined,
    etag: undefined,
    lastModified: undefined,
  };
  const now = Date.parse('2026-12-01T10:00:00Z');
  const cases: [string, Partial<SourceHeaders>, number][] = [
    ['no caching headers: SOURCE_TTL', {}, 600],
    ['max-age longer than SOURCE_TTL extends it', { cacheControl: 'public, max-age=7200' }, 7200],
    ['s-maxage wins over max-age', { cacheControl: 'max-age=60, s-maxage=3600' }, 3600],
    ['a shorter max-age keeps the floor', { cacheControl: 'max-age=30' }, 600],
    ['no-store keeps the floor', { cacheControl: 'no-store' }, 600],
    ['no-cache keeps the floor', { cacheControl: 'no-cache, max-age=0' }, 600],
    ['Age is subtracted', { cacheControl: 'max-age=7200', age: '3600' }, 3600],
    [
      'Expires − Date when no max-age',
      { expires: 'Tue, 01 Dec 2026 12:00:00 GMT', date: 'Tue, 01 Dec 2026 10:00:00 GMT' },
      7200,
    ],
    ['Expires against now without Date', { expires: 'Tue, 01 Dec 2026 11:00:00 GMT' }, 3600],
    ['an invalid Expires means expired', { expires: '0' }, 600],
    [
      'max-age wins over Expires',
      { cacheControl: 'max-age=1800', expires: 'Tue, 01 Dec 2026 20:00:00 GMT' },
      1800,
    ],
    ['capped at a year', { cacheControl: 'max-age=999999999' }, MAX_FRESHNESS_SECONDS],
    ['quoted and upper-case directives', { cacheControl: 'Public, MAX-AGE="5000"' }, 5000],
  ];
  it.each(cases)('%s', (_name, headers, expected) => {
    expect(freshnessSeconds({ ...none, ...headers }, 600, now)).toBe(expected);
  });
});

describe('remote source configuration', () => {
  const env = originEnv({ upload: '/tmp/u', output: '/tmp/o' });
  const problems = (extra: Record<string, string>) => {
    try {
      loadConfig({ ...env, ...extra });
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.problems.map((p) => `${p.variable} ${p.message}`);
    }
  };

  it('has defaults: no sources, private networks refused, SOURCE_TTL 1 h', () => {
    const { sources } = loadConfig(env);
    expect(sources.bases.size).toBe(0);
    expect(sources).toMatchObject({
      allowPrivateNetworks: false,
      ttlSeconds: 3600,
      notFoundTtlSeconds: 60,
      connectTimeoutMs: 5000,
      timeoutMs: 20_000,
    });
  });

  it('parses SOURCES with shared/sources (bases normalised)', () => {
    const { sources } = loadConfig({
      ...env,
      SOURCES: '{"default":"https://WWW.Example.com","shop":"https://cdn.shop.example/images"}',
      SOURCES_ALLOW_PRIVATE_NETWORKS: '1',
    });
    expect([...sources.bases]).toEqual([
      ['default', 'https://www.example.com/'],
      ['shop', 'https://cdn.shop.example/images/'],
    ]);
    expect(sources.allowPrivateNetworks).toBe(true);
  });

  it('names SOURCES and the other variables when they are wrong', () => {
    expect(problems({ SOURCES: 'not json' })[0]).toMatch(/^SOURCES is not valid JSON/);
    expect(problems({ SOURCES: '{"a":"http://user:pw@example.com/"}' })).toEqual([
      'SOURCES source a must not carry credentials',
    ]);
    expect(problems({ SOURCES: '{"a":"file:///etc/"}' })[0]).toMatch(
      /^SOURCES source a must be an http\(s\) URL/,
    );
    expect(problems({ SOURCE_TTL: '0' })[0]).toMatch(/^SOURCE_TTL /);
    expect(problems({ SOURCE_TIMEOUT_MS: 'soon' })[0]).toMatch(/^SOURCE_TIMEOUT_MS /);
    expect(problems({ SOURCES_ALLOW_PRIVATE_NETWORKS: 'maybe' })[0]).toMatch(
      /^SOURCES_ALLOW_PRIVATE_NETWORKS /,
    );
  });
});
