/**
 * Deep health: each check runs with a timeout and reports status and latency. Any failing check,
 * or a process that is shutting down, makes the whole answer 503 so load balancers drain it. A
 * check may instead report 'degraded' (e.g. Redis down: the replica works, uncoordinated): the
 * answer stays 200 with status 'degraded'.
 */
import { withTimeout } from '../../shared/timeout.js';

export interface HealthCheck {
  name: string;
  /** Throws: 'fail'. Resolves to a degraded result: 'degraded' with its error. Else 'ok'. */
  // biome-ignore lint/suspicious/noConfusingVoidType: most checks are plain `async () => {}` (Promise<void>).
  run: () => Promise<void | { status: 'ok' } | { status: 'degraded'; error: string }>;
}

export interface CheckResult {
  status: 'ok' | 'degraded' | 'fail';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  /** 'fail' answers 503; 'ok' and 'degraded' answer 200. */
  status: 'ok' | 'degraded' | 'fail';
  checks: Record<string, CheckResult>;
}

export async function runHealthChecks(
  checks: readonly HealthCheck[],
  timeoutMs: number,
  shuttingDown: boolean,
): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (check): Promise<[string, CheckResult]> => {
      const started = performance.now();
      try {
        const result = await withTimeout(check.run(), timeoutMs);
        const latency_ms = Math.round(performance.now() - started);
        if (result && result.status === 'degraded') {
          return [check.name, { status: 'degraded', latency_ms, error: result.error }];
        }
        return [check.name, { status: 'ok', latency_ms }];
      } catch (err) {
        return [
          check.name,
          {
            status: 'fail',
            latency_ms: Math.round(performance.now() - started),
            error: err instanceof Error ? err.message : String(err),
          },
        ];
      }
    }),
  );
  const checksOut: Record<string, CheckResult> = Object.fromEntries(results);
  checksOut.app = {
    status: shuttingDown ? 'fail' : 'ok',
    latency_ms: 0,
    ...(shuttingDown ? { error: 'shutting down' } : {}),
  };
  const statuses = Object.values(checksOut).map((r) => r.status);
  const status = statuses.includes('fail') ? 'fail' : statuses.includes('degraded') ? 'degraded' : 'ok';
  return { status, checks: checksOut };
}
