/**
 * The circuit breaker's state machine (edge/origin/breaker.ts) on an injected clock: closed → open
 * by consecutive failures and by failure rate, the cool-down, the single half-open probe, re-open
 * and close. The workerd tests with real origins are in origin-failover.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  type BreakerSettings,
  CircuitBreaker,
  type Outcome,
  type Transition,
} from '../../edge/origin/breaker.js';

const SETTINGS: BreakerSettings = {
  failures: 3,
  failureRate: 0.5,
  windowMs: 1_000,
  minRequests: 6,
  cooldownMs: 500,
};
const LEASE = 10_000;

function breaker(settings: Partial<BreakerSettings> = {}) {
  let now = 1_000_000;
  const transitions: Transition[] = [];
  const b = new CircuitBreaker(
    { ...SETTINGS, ...settings },
    { now: () => now, onTransition: (t) => transitions.push(t) },
  );
  let n = 0;
  /** One request through the breaker with this outcome; false when it was refused. */
  const send = (outcome: Outcome, id = `r${++n}`) => {
    const permit = b.tryAcquire(id, LEASE);
    if (!permit) return false;
    b.record(permit, outcome);
    return true;
  };
  return {
    b,
    send,
    transitions,
    advance: (ms: number) => {
      now += ms;
    },
    states: () => transitions.map((t) => t.to),
  };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, and a success in between resets the count', () => {
    const t = breaker();
    t.send('failure');
    t.send('failure');
    t.send('success');
    t.send('failure');
    t.send('failure');
    expect(t.b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
    t.send('failure', 'tripper');
    expect(t.b.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 500 });
    expect(t.transitions).toEqual([
      { from: 'closed', to: 'open', reason: '3 consecutive failures', requestId: 'tripper' },
    ]);
    expect(t.send('success')).toBe(false);
  });

  it('opens when the failure rate over the window reaches the threshold, once it holds enough requests', () => {
    const t = breaker({ failures: 100 });
    // Alternating: never 2 in a row, 50 % failed. Below minRequests (6) nothing happens.
    for (const o of ['failure', 'success', 'failure', 'success', 'failure'] as const) t.send(o);
    expect(t.b.snapshot()).toMatchObject({ state: 'closed', window: { requests: 5, failures: 3 } });
    t.send('success', 'sixth');
    expect(t.b.snapshot().state).toBe('closed'); // 3 of 6 is 50 %, but the success does not trip it
    t.send('failure', 'seventh');
    expect(t.b.snapshot().state).toBe('open');
    expect(t.transitions).toEqual([
      { from: 'closed', to: 'open', reason: '4 of 7 requests failed within 1000 ms', requestId: 'seventh' },
    ]);
  });

  it('forgets outcomes older than the window', () => {
    const t = breaker({ failures: 100 });
    for (let i = 0; i < 5; i++) t.send('failure');
    t.advance(1_100);
    expect(t.b.snapshot().window).toEqual({ requests: 0, failures: 0 });
    for (let i = 0; i < 5; i++) t.send('success');
    t.send('failure');
    expect(t.b.snapshot()).toMatchObject({ state: 'closed', window: { requests: 6, failures: 1 } });
  });

  it('half-open after the cool-down: exactly one probe; its success closes the circuit', () => {
    const t = breaker();
    for (let i = 0; i < 3; i++) t.send('failure');
    t.advance(499);
    expect(t.b.tryAcquire('early', LEASE)).toBeUndefined();
    expect(t.b.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 1 });
    t.advance(1);
    expect(t.b.snapshot()).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    const probe = t.b.tryAcquire('probe', LEASE);
    expect(probe).toMatchObject({ probe: true });
    // While the probe is out, nobody else gets through.
    expect(t.b.tryAcquire('second', LEASE)).toBeUndefined();
    expect(t.b.tryAcquire('third', LEASE)).toBeUndefined();
    t.b.record(probe!, 'success');
    expect(t.b.snapshot()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      window: { requests: 0 },
    });
    expect(t.transitions.slice(1)).toEqual([
      { from: 'open', to: 'half-open', reason: 'cool-down of 500 ms over: one probe', requestId: 'probe' },
      { from: 'half-open', to: 'closed', reason: 'probe succeeded', requestId: 'probe' },
    ]);
    expect(t.send('success')).toBe(true);
  });

  it('a failed probe re-opens the circuit for another full cool-down', () => {
    const t = breaker();
    for (let i = 0; i < 3; i++) t.send('failure');
    t.advance(600);
    const probe = t.b.tryAcquire('probe', LEASE)!;
    t.advance(200);
    t.b.record(probe, 'failure');
    expect(t.b.snapshot()).toMatchObject({ state: 'open', retryAfterMs: 500 });
    expect(t.transitions.at(-1)).toEqual({
      from: 'half-open',
      to: 'open',
      reason: 'probe failed',
      requestId: 'probe',
    });
    t.advance(499);
    expect(t.send('success')).toBe(false);
    t.advance(1);
    expect(t.send('success', 'probe-2')).toBe(true);
    expect(t.states()).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it("a neutral probe (the client's fault) frees the slot and leaves the circuit half-open", () => {
    const t = breaker();
    for (let i = 0; i < 3; i++) t.send('failure');
    t.advance(500);
    const probe = t.b.tryAcquire('probe', LEASE)!;
    t.b.record(probe, 'neutral');
    expect(t.b.snapshot().state).toBe('half-open');
    const next = t.b.tryAcquire('next', LEASE);
    expect(next).toMatchObject({ probe: true, requestId: 'next' });
  });

  it('a lost probe (no outcome within its lease) lets another probe through', () => {
    const t = breaker();
    for (let i = 0; i < 3; i++) t.send('failure');
    t.advance(500);
    expect(t.b.tryAcquire('lost', 300)).toBeDefined();
    t.advance(299);
    expect(t.b.tryAcquire('waiting', 300)).toBeUndefined();
    t.advance(1);
    const second = t.b.tryAcquire('second', 300)!;
    // The lost probe's late outcome no longer decides anything; the current probe's does.
    t.b.record({ requestId: 'lost', probe: true, generation: 0 }, 'success');
    expect(t.b.snapshot().state).toBe('half-open');
    t.b.record(second, 'success');
    expect(t.b.snapshot().state).toBe('closed');
  });

  it('late outcomes of requests admitted before the circuit opened, or before it closed, are not counted', () => {
    const t = breaker();
    const early = [1, 2, 3, 4].map((i) => t.b.tryAcquire(`early-${i}`, LEASE)!);
    for (let i = 0; i < 3; i++) t.send('failure');
    expect(t.b.snapshot().state).toBe('open');
    t.b.record(early[0]!, 'success'); // while open: ignored
    expect(t.b.snapshot().state).toBe('open');
    t.advance(500);
    t.send('success', 'probe');
    for (const p of early.slice(1)) t.b.record(p, 'failure'); // an older generation: ignored
    expect(t.b.snapshot()).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      window: { requests: 0 },
    });
  });
});
