/**
 * The memory limit of the container this process runs in, read from its cgroup at each scrape
 * (`docker update --memory` and Kubernetes in-place resizes change it while the process runs):
 *
 * - cgroup v2: `memory.max` of the process's own cgroup (`0::/path` in /proc/self/cgroup), else of
 *   the mount's root (a container with its own cgroup namespace sees itself at the root);
 * - cgroup v1: `memory/<path>/memory.limit_in_bytes`, else `memory/memory.limit_in_bytes`.
 *
 * No limit (`max`, v1's "unlimited" page-counter maximum) or no readable cgroup (not Linux, no
 * mount) is +Inf, so `process_resident_memory_bytes / imgedge_memory_limit_bytes` is 0 and the
 * memory alert stays quiet rather than dividing by a made-up number.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** cgroup v1 reports "no limit" as a page-counter maximum near 2^63; anything this big is none. */
const V1_UNLIMITED = 2 ** 62;

export interface CgroupPaths {
  /** Where the cgroup filesystem is mounted (default /sys/fs/cgroup). */
  root?: string;
  /** The process's cgroup membership file (default /proc/self/cgroup). */
  self?: string;
}

/** Bytes, or +Inf when there is no limit or none can be read. */
export async function readMemoryLimit(paths: CgroupPaths = {}): Promise<number> {
  const root = paths.root ?? '/sys/fs/cgroup';
  const membership = await readText(paths.self ?? '/proc/self/cgroup');
  const v2Path = /^0::(\/.*)$/m.exec(membership ?? '')?.[1];
  const v1Path = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(\/.*)$/m.exec(membership ?? '')?.[1];

  const v2 = await firstReadable([
    ...(v2Path && v2Path !== '/' ? [join(root, v2Path, 'memory.max')] : []),
    join(root, 'memory.max'),
  ]);
  if (v2 !== undefined) return v2 === 'max' ? Number.POSITIVE_INFINITY : bytes(v2);

  const v1 = await firstReadable([
    ...(v1Path && v1Path !== '/' ? [join(root, 'memory', v1Path, 'memory.limit_in_bytes')] : []),
    join(root, 'memory', 'memory.limit_in_bytes'),
  ]);
  if (v1 === undefined) return Number.POSITIVE_INFINITY;
  const limit = bytes(v1);
  return limit >= V1_UNLIMITED ? Number.POSITIVE_INFINITY : limit;
}

function bytes(text: string): number {
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? n : Number.POSITIVE_INFINITY;
}

async function firstReadable(files: string[]): Promise<string | undefined> {
  for (const file of files) {
    const text = await readText(file);
    if (text !== undefined) return text.trim();
  }
  return undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
