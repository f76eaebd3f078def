/**
 * Deep health: each check runs with a timeout and reports status and latency. Any failing check,
 * or a process that is shutting down, makes the whole answer 503 so load balancers drain it.
 */
import { withTimeout } from '../../shared/timeout.js';

export interface HealthCheck {
  name: string;
  run: () => Promise<void>;
}

export interface CheckResult {
  status: 'ok' | 'fail';
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'fail';
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
        await withTimeout(check.run(), timeoutMs);
        return [check.name, { status: 'ok', latency_ms: Math.round(performance.now() - started) }];
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
  const ok = Object.values(checksOut).every((r) => r.status === 'ok');
  return { status: ok ? 'ok' : 'fail', checks: checksOut };
}
