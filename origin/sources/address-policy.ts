/**
 * Which IP addresses the origin may connect to when it fetches a remote source. Everything that is
 * not a public unicast address is refused, each range with a stable reason: loopback, private
 * networks, link-local, CGNAT, multicast, unspecified, broadcast, reserved, benchmarking,
 * documentation, IETF protocol assignments, and the cloud metadata endpoints. IPv6 forms that embed
 * an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the address they embed;
 * an IPv4-mapped or -compatible address is refused even when that address is public (no resolver
 * answers one for a public host, and a socket would reach IPv4 through it).
 *
 * The ranges are held in node's `net.BlockList`, one list per reason, checked in order (the
 * metadata addresses before the link-local range they sit in, say).
 */
import { BlockList, isIP } from 'node:net';

export type AddressReason =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'broadcast'
  | 'reserved'
  | 'benchmarking'
  | 'documentation'
  | 'ietf'
  | 'ipv4_mapped'
  | 'metadata'
  | 'not_an_address';

/** What SOURCES_ALLOW_PRIVATE_NETWORKS=1 lets through (tests, and a source on your own network). */
export const PRIVATE_NETWORK_REASONS: ReadonlySet<AddressReason> = new Set([
  'loopback',
  'private',
  'link_local',
  'cgnat',
]);

type Rule = readonly [network: string, prefix: number, reason: AddressReason];

/** IPv4 ranges, in the order they are checked. */
const V4_RULES: readonly Rule[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
  ['168.63.129.16', 32, 'metadata'], // Azure WireServer
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud
  ['192.0.0.192', 32, 'metadata'], // Oracle Cloud
  ['255.255.255.255', 32, 'broadcast'],
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['169.254.0.0', 16, 'link_local'],
  ['100.64.0.0', 10, 'cgnat'],
  ['192.0.0.0', 24, 'ietf'],
  ['192.0.2.0', 24, 'documentation'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['192.88.99.0', 24, 'reserved'], // former 6to4 relay anycast
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** IPv6 ranges that embed no IPv4 address, in the order they are checked. */
const V6_RULES: readonly Rule[] = [
  ['fd00:ec2::254', 128, 'metadata'], // AWS instance metadata over IPv6
  ['64:ff9b:1::', 48, 'private'], // local-use NAT64 (RFC 8215)
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 32, 'reserved'], // Teredo (the IPv4 inside is obfuscated)
  ['2001:2::', 48, 'benchmarking'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'private'], // unique local addresses
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'reserved'], // deprecated site-local
  ['ff00::', 8, 'multicast'],
];

function compile(rules: readonly Rule[], family: 'ipv4' | 'ipv6') {
  const lists = new Map<AddressReason, BlockList>();
  for (const [network, prefix, reason] of rules) {
    let list = lists.get(reason);
    if (!list) {
      list = new BlockList();
      lists.set(reason, list);
    }
    list.addSubnet(network, prefix, family);
  }
  // Map order is insertion order: the first rule of each reason fixes the reason's turn.
  return [...lists];
}

const V4 = compile(V4_RULES, 'ipv4');
const V6 = compile(V6_RULES, 'ipv6');

/** An IPv6 address's 16 bytes (it must be valid: isIP(text) === 6), zone id dropped. */
function ipv6Bytes(text: string): Uint8Array {
  let address = text.split('%')[0]!;
  const bytes = new Uint8Array(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [
    ...headGroups,
    ...Array(8 - headGroups.length - tailGroups.length).fill('0'),
    ...tailGroups,
  ];
  groups.forEach((group, i) => {
    const n = Number.parseInt(group, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}

function v4At(bytes: Uint8Array, offset: number): string {
  return Array.from(bytes.subarray(offset, offset + 4)).join('.');
}

function zeros(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function classifyV4(address: string): AddressReason | undefined {
  for (const [reason, list] of V4) if (list.check(address, 'ipv4')) return reason;
  return undefined;
}

function classifyV6(address: string): AddressReason | undefined {
  const bytes = ipv6Bytes(address);
  if (zeros(bytes, 0, 16)) return 'unspecified';
  if (zeros(bytes, 0, 15) && bytes[15] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): the socket would reach IPv4.
  if (zeros(bytes, 0, 10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || zeros(bytes, 10, 12))) {
    return classifyV4(v4At(bytes, 12)) ?? 'ipv4_mapped';
  }
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) route to the IPv4 address inside.
  if (
    bytes[0] === 0x00 &&
    bytes[1] === 0x64 &&
    bytes[2] === 0xff &&
    bytes[3] === 0x9b &&
    zeros(bytes, 4, 12)
  ) {
    return classifyV4(v4At(bytes, 12));
  }
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return classifyV4(v4At(bytes, 2));
  const canonical = address.split('%')[0]!;
  for (const [reason, list] of V6) if (list.check(canonical, 'ipv6')) return reason;
  return undefined;
}

/**
 * Why the origin must not connect to `address` (an IPv4 or IPv6 literal, IPv6 with or without
 * brackets), or undefined for a public unicast address.
 */
export function classifyAddress(address: string): AddressReason | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  switch (isIP(bare.split('%')[0]!)) {
    case 4:
      return classifyV4(bare);
    case 6:
      return classifyV6(bare);
    default:
      return 'not_an_address';
  }
}

/** The check the fetcher applies to every address it would connect to. */
export interface AddressPolicy {
  /** undefined: allowed; else the reason it is refused. */
  check(address: string): AddressReason | undefined;
}

export function addressPolicy(options: { allowPrivateNetworks: boolean }): AddressPolicy {
  return {
    check(address) {
      const reason = classifyAddress(address);
      if (reason && options.allowPrivateNetworks && PRIVATE_NETWORK_REASONS.has(reason)) return undefined;
      return reason;
    },
  };
}
