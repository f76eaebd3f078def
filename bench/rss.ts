/**
 * Peak resident memory of this process (and optionally other processes, e.g. a spawned origin)
 * during one measured phase. Two sources, the larger wins:
 *  - the kernel's own high-water mark (VmHWM), reset at the start of the phase through
 *    /proc/<pid>/clear_refs (Linux ≥ 4.0); exact, catches spikes between samples;
 *  - polling /proc/<pid>/statm every few ms, for systems where the reset is not allowed.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const PAGE = 4096;

function statmRss(pid: number | 'self'): number {
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(fields[1]) * PAGE;
  } catch {
    return pid === 'self' ? process.memoryUsage.rss() : 0;
  }
}

function resetHwm(pid: number | 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function readHwm(pid: number | 'self'): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface RssPeak {
  /** Peak RSS of this process, bytes. */
  self: number;
  /** Peak RSS per extra pid, bytes (sum of peaks: an upper bound when they peak apart). */
  others: Record<number, number>;
}

export interface RssSampler {
  stop(): RssPeak;
}

export function startRssSampler(pids: readonly number[] = [], intervalMs = 5): RssSampler {
  const targets: (number | 'self')[] = ['self', ...pids];
  const hwmReset = new Map(targets.map((p) => [p, resetHwm(p)]));
  const peaks = new Map(targets.map((p) => [p, statmRss(p)]));
  const sample = () => {
    for (const p of targets) peaks.set(p, Math.max(peaks.get(p) ?? 0, statmRss(p)));
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const peakOf = (p: number | 'self') => Math.max(peaks.get(p) ?? 0, hwmReset.get(p) ? readHwm(p) : 0);
      const others: Record<number, number> = {};
      for (const p of pids) others[p] = peakOf(p);
      return { self: peakOf('self'), others };
    },
  };
}
