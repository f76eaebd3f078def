/**
 * A source fetch imgedge refuses to make: `403 source_refused` with a stable `reason`. The URL,
 * host and address that caused it stay out of the problem document (they would tell a client how
 * internal names resolve) and go to the log instead (`target`).
 */
import { ImgedgeError } from '../../shared/errors.js';
import type { AddressReason } from './address-policy.js';

export type RefusalReason =
  | AddressReason
  /** Not http: or https: (a redirect to file:, ftp:, data:…). */
  | 'scheme'
  /** user:password@ in the URL. */
  | 'userinfo'
  /** Not under the source's base URL (a redirect elsewhere, an escape from the base). */
  | 'outside_base'
  /** More redirects than allowed. */
  | 'too_many_redirects';

export class SourceRefusedError extends ImgedgeError {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
    /** What was refused (URL, host → address), for the log only. */
    readonly target: string,
  ) {
    super('source_refused', detail, { extra: { reason } });
  }
}

const ADDRESS_WORDS: Record<AddressReason, string> = {
  loopback: 'a loopback address',
  private: 'a private network address',
  link_local: 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
  documentation: 'a documentation address',
  ietf: 'an IETF protocol assignment address',
  ipv4_mapped: 'an IPv4-mapped IPv6 address',
  metadata: 'a cloud metadata address',
  not_an_address: 'no valid address',
};

/** Refused because the host is, or resolves to, an address of this kind. */
export function addressRefused(reason: AddressReason, target: string): SourceRefusedError {
  return new SourceRefusedError(
    reason,
    `The source host is or resolves to ${ADDRESS_WORDS[reason]}, which imgedge never fetches from`,
    target,
  );
}
