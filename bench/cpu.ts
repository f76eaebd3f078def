/**
 * CPU used during a phase, by this process (and named pids) and by everything else on the
 * machine, in cores (1.0 = one core busy throughout). The benchmark shares the machine; when
 * `other` is well above 0 a figure was disturbed, and the table says so.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ on Linux

function machineBusyTicks(): number {
  const fields =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

export function processTicks(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

export interface CpuUse {
  /** This process plus the named pids, in cores. */
  ours: number;
  /** Everything else on the machine, in cores. */
  other: number;
}

export interface CpuWatch {
  stop(): CpuUse;
}

export function startCpuWatch(pids: readonly number[] = []): CpuWatch {
  const ours = () => processTicks('self') + pids.reduce((sum, p) => sum + processTicks(p), 0);
  const t0 = performance.now();
  const busy0 = machineBusyTicks();
  const ours0 = ours();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      if (seconds <= 0) return { ours: 0, other: 0 };
      const busy = machineBusyTicks() - busy0;
      const mine = ours() - ours0;
      const cores = (ticks: number) => Math.max(0, ticks) / TICKS_PER_SEC / seconds;
      return { ours: cores(mine), other: cores(busy - mine) };
    },
  };
}
