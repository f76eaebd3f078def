/**
 * Name resolution for source fetches, done by us and pinned: the `lookup` the fetcher's sockets use
 * resolves EVERY address of the host, refuses the host when any of them is disallowed, and hands
 * the socket exactly the addresses it checked. The socket connects to one of those and resolves
 * nothing itself, so a DNS answer that changes between the check and the connection (rebinding)
 * cannot slip a private address in. Each new connection runs it again.
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from './address-policy.js';
import { addressRefused } from './refusal.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a host name. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), all addresses, in its order. */
export const systemResolver: Resolver = async (hostname) => {
  const found: LookupAddress[] = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  return err;
}

/** A `lookup` for net/tls.connect that checks every address against `policy` before connecting. */
export function pinnedLookup(resolve: Resolver, policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const checked = resolve(hostname).then((addresses) => {
      if (addresses.length === 0) throw notFound(hostname);
      for (const { address } of addresses) {
        const reason = policy.check(address);
        if (reason) throw addressRefused(reason, `${hostname} → ${address}`);
      }
      const family = options.family === 4 || options.family === 6 ? options.family : undefined;
      const usable = family ? addresses.filter((a) => a.family === family) : addresses;
      if (usable.length === 0) throw notFound(hostname);
      return usable;
    });
    checked.then(
      (usable) => {
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
