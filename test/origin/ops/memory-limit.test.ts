/**
 * readMemoryLimit on cgroup layouts written to a temp folder (the files the kernel exposes, as
 * text): v2 at the root and in the process's own cgroup, v1, "no limit" in both spellings, and no
 * cgroup at all. Plus this machine's own, which must be a positive number or +Inf.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMemoryLimit } from '../../../origin/ops/memory-limit.js';

let base: string | undefined;

async function layout(files: Record<string, string>): Promise<{ root: string; self: string }> {
  base = await mkdtemp(join(tmpdir(), 'imgedge-cgroup-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(base, path)), { recursive: true });
    await writeFile(join(base, path), text);
  }
  return { root: join(base, 'sys'), self: join(base, 'proc-self-cgroup') };
}

afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true });
  base = undefined;
});

describe('readMemoryLimit', () => {
  it('cgroup v2 in a container (its own namespace: the root): memory.max in bytes', async () => {
    const paths = await layout({ 'proc-self-cgroup': '0::/\n', 'sys/memory.max': '536870912\n' });
    expect(await readMemoryLimit(paths)).toBe(536870912);
  });

  it("cgroup v2 on a host: the process's own cgroup before the root", async () => {
    const paths = await layout({
      'proc-self-cgroup': '0::/system.slice/imgedge.service\n',
      'sys/system.slice/imgedge.service/memory.max': '1073741824\n',
      'sys/memory.max': 'max\n',
    });
    expect(await readMemoryLimit(paths)).toBe(1073741824);
  });

  it('cgroup v2 "max" is no limit: +Inf', async () => {
    const paths = await layout({ 'proc-self-cgroup': '0::/\n', 'sys/memory.max': 'max\n' });
    expect(await readMemoryLimit(paths)).toBe(Number.POSITIVE_INFINITY);
  });

  it('cgroup v1: memory.limit_in_bytes of its cgroup, else of the root; the page-counter maximum is +Inf', async () => {
    const own = await layout({
      'proc-self-cgroup': '12:cpu,cpuacct:/\n4:memory:/docker/abc\n0::/\n',
      'sys/memory/docker/abc/memory.limit_in_bytes': '268435456\n',
    });
    expect(await readMemoryLimit(own)).toBe(268435456);
    await rm(base!, { recursive: true, force: true });
    const root = await layout({
      'proc-self-cgroup': '4:memory:/elsewhere\n',
      'sys/memory/memory.limit_in_bytes': '9223372036854771712\n',
    });
    expect(await readMemoryLimit(root)).toBe(Number.POSITIVE_INFINITY);
  });

  it('no cgroup files at all: +Inf', async () => {
    const paths = await layout({});
    expect(await readMemoryLimit(paths)).toBe(Number.POSITIVE_INFINITY);
  });

  it("this machine's: a positive number of bytes or +Inf", async () => {
    const limit = await readMemoryLimit();
    expect(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit > 0)).toBe(true);
  });
});
