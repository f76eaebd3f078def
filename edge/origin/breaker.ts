/**
 * A circuit breaker for one origin (README, "Several origins, circuit breakers"). Closed: every
 * request goes through and its outcome is counted. It opens after `failures` consecutive failures,
 * or when at least `failureRate` of the outcomes in the last `windowMs` failed (once the window
 * holds `minRequests` of them). Open: nothing goes through until `cooldownMs` have passed; then the
 * circuit is half-open and lets ONE probe request through: its success closes the circuit, its
 * failure opens it again for another cool-down.
 *
 * State lives in memory, so in a worker it is per isolate. The clock is injectable for unit tests.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** Failure ratio (0..1] over the window that opens the circuit. */
  failureRate: number;
  /** The sliding window of the failure rate. */
  windowMs: number;
  /** Outcomes the window must hold before the rate can open the circuit. */
  minRequests: number;
  /** How long an open circuit refuses requests before it lets a probe through. */
  cooldownMs: number;
}

export interface Transition {
  from: CircuitState;
  to: CircuitState;
  /** Why, in a few words ("5 consecutive failures", "probe succeeded"…). */
  reason: string;
  /** The request whose outcome (or, for half-open, whose admission) made the change. */
  requestId: string;
}

export interface BreakerOptions {
  now?: () => number;
  onTransition?: (t: Transition) => void;
}

/** The right to send one request to the origin; hand it back with its outcome. */
export interface Permit {
  readonly requestId: string;
  /** True for the half-open circuit's single probe. */
  readonly probe: boolean;
  /** Outcomes of requests admitted before the circuit last closed are not counted. */
  readonly generation: number;
}

export type Outcome = 'success' | 'failure' | 'neutral';

export interface BreakerSnapshot {
  /** An open circuit whose cool-down is over reads `half-open`: its next request is the probe. */
  state: CircuitState;
  /** Until the next probe may go (open circuits only; else 0). */
  retryAfterMs: number;
  consecutiveFailures: number;
  window: { requests: number; failures: number };
}

/** The window is kept as BUCKETS slices of windowMs / BUCKETS each. */
const BUCKETS = 10;

interface Bucket {
  /** Start of the slice this bucket counts (a multiple of the slice length), or -1. */
  slice: number;
  requests: number;
  failures: number;
}

export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  private generation = 0;
  /** The half-open probe in flight, and until when it holds the slot (a lost probe frees it). */
  private probe: { requestId: string; until: number } | undefined;
  private readonly buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    slice: -1,
    requests: 0,
    failures: 0,
  }));
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly onTransition: (t: Transition) => void;

  constructor(
    readonly settings: BreakerSettings,
    options: BreakerOptions = {},
  ) {
    this.sliceMs = Math.max(1, settings.windowMs / BUCKETS);
    this.now = options.now ?? Date.now;
    this.onTransition = options.onTransition ?? (() => {});
  }

  /**
   * May request `requestId` go to this origin now? Closed: yes. Open: no, until the cool-down is
   * over; then the circuit turns half-open and this request becomes its probe. Half-open: only
   * when no probe is in flight (or the one in flight outlived `probeLeaseMs`, i.e. was lost).
   */
  tryAcquire(requestId: string, probeLeaseMs: number): Permit | undefined {
    const now = this.now();
    if (this.current === 'closed') return { requestId, probe: false, generation: this.generation };
    if (this.current === 'open') {
      if (now < this.openedAt + this.settings.cooldownMs) return undefined;
      this.move('half-open', `cool-down of ${this.settings.cooldownMs} ms over: one probe`, requestId);
    } else if (this.probe && now < this.probe.until) {
      return undefined;
    }
    this.probe = { requestId, until: now + probeLeaseMs };
    return { requestId, probe: true, generation: this.generation };
  }

  /**
   * The outcome of a permitted request. `neutral` says nothing about the origin (the client's
   * fault): it frees a probe's slot and is not counted.
   */
  record(permit: Permit, outcome: Outcome): void {
    if (permit.probe) {
      if (this.current !== 'half-open' || this.probe?.requestId !== permit.requestId) return;
      this.probe = undefined;
      if (outcome === 'success') this.close(permit.requestId);
      else if (outcome === 'failure') this.open('probe failed', permit.requestId);
      return;
    }
    // Requests admitted before the circuit opened (or before it last closed) finish late: ignored.
    if (this.current !== 'closed' || permit.generation !== this.generation || outcome === 'neutral') return;
    const bucket = this.bucket();
    bucket.requests++;
    if (outcome === 'success') {
      this.consecutive = 0;
      return;
    }
    bucket.failures++;
    this.consecutive++;
    if (this.consecutive >= this.settings.failures) {
      this.open(`${this.consecutive} consecutive failures`, permit.requestId);
      return;
    }
    const { requests, failures } = this.windowCounts();
    if (requests >= this.settings.minRequests && failures / requests >= this.settings.failureRate) {
      this.open(
        `${failures} of ${requests} requests failed within ${this.settings.windowMs} ms`,
        permit.requestId,
      );
    }
  }

  snapshot(): BreakerSnapshot {
    const retryAfterMs =
      this.current === 'open' ? Math.max(0, this.openedAt + this.settings.cooldownMs - this.now()) : 0;
    return {
      state: this.current === 'open' && retryAfterMs === 0 ? 'half-open' : this.current,
      retryAfterMs,
      consecutiveFailures: this.consecutive,
      window: this.windowCounts(),
    };
  }

  private open(reason: string, requestId: string): void {
    this.openedAt = this.now();
    this.probe = undefined;
    this.move('open', reason, requestId);
  }

  private close(requestId: string): void {
    this.consecutive = 0;
    for (const b of this.buckets) Object.assign(b, { slice: -1, requests: 0, failures: 0 });
    this.generation++;
    this.move('closed', 'probe succeeded', requestId);
  }

  private move(to: CircuitState, reason: string, requestId: string): void {
    const from = this.current;
    this.current = to;
    this.onTransition({ from, to, reason, requestId });
  }

  /** The bucket of the current slice (reset when it last counted an older slice). */
  private bucket(): Bucket {
    const slice = Math.floor(this.now() / this.sliceMs);
    const bucket = this.buckets[slice % BUCKETS]!;
    if (bucket.slice !== slice) Object.assign(bucket, { slice, requests: 0, failures: 0 });
    return bucket;
  }

  private windowCounts(): { requests: number; failures: number } {
    const oldest = Math.floor(this.now() / this.sliceMs) - BUCKETS + 1;
    let requests = 0;
    let failures = 0;
    for (const b of this.buckets) {
      if (b.slice < oldest) continue;
      requests += b.requests;
      failures += b.failures;
    }
    return { requests, failures };
  }
}
