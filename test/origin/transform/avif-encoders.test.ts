/**
 * AVIF work in niced child processes (origin/transform/avif-encoders.ts), with real sharp in
 * real processes: the bytes are the in-process pipeline's (whole transforms, and the encode of a
 * watermarked output's or a mezzanine's pixels made here), every thread of a child runs at the
 * nice value, a child killed mid-encode fails only that encode and the next one gets a new child,
 * an encode over its time is killed, and close() leaves no child behind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { makeMezzanine } from '../../../origin/mezzanine/make.js';
import { AvifProcesses, type OutsideEncoder } from '../../../origin/transform/avif-encoders.js';
import { transform } from '../../../origin/transform/index.js';
import type { WatermarkInput } from '../../../origin/transform/types.js';
import { isImgedgeError } from '../../../shared/errors.js';
import { alphaPng, displayP3Jpeg, photoJpeg } from '../../support/images.js';

let pool: AvifProcesses | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** The nice value of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('AVIF encodes in child processes', () => {
  it('give the in-process bytes: photo with a profile, P3, alpha, q, a watermark-free resize', async () => {
    pool = new AvifProcesses({ processes: 2, nice: 10 });
    const photo = await sharp(await photoJpeg(640, 480, 3))
      .withIccProfile('srgb')
      .jpeg()
      .toBuffer();
    const cases = [
      { input: photo, options: { w: 300, f: 'avif' as const } },
      {
        input: await photoJpeg(640, 480, 4),
        options: { w: 320, h: 320, fit: 'cover' as const, f: 'avif' as const, q: 60 },
      },
      { input: await displayP3Jpeg(), options: { w: 32, f: 'avif' as const } },
      { input: await alphaPng(), options: { w: 120, f: 'avif' as const } },
    ];
    for (const { input, options } of cases) {
      const inProcess = await transform({ input, options });
      const outside = await transform({ input, options, avifEncoder: pool });
      expect(outside.format).toBe('avif');
      expect([outside.width, outside.height, outside.hasAlpha]).toEqual([
        inProcess.width,
        inProcess.height,
        inProcess.hasAlpha,
      ]);
      expect(outside.data.equals(inProcess.data), JSON.stringify(options)).toBe(true);
    }
    expect(pool.pids.length).toBeGreaterThanOrEqual(1);
  });

  it('a watermarked output: its pixels are made here and encoded there, the same bytes', async () => {
    pool = new AvifProcesses({ processes: 1, nice: 10 });
    const mark = await sharp({
      create: { width: 40, height: 20, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0.6 } },
    })
      .png()
      .toBuffer();
    const watermark: WatermarkInput = {
      definition: { gravity: 'southeast', opacity: 0.8, scale: 0.25, margin: 4, repeat: false },
      size: async () => ({ width: 40, height: 20 }),
      pixels: (width, height) =>
        sharp(mark).resize(width, height, { fit: 'fill' }).ensureAlpha().raw().toBuffer(),
    };
    const input = await sharp(await photoJpeg(640, 480, 7))
      .withIccProfile('srgb')
      .jpeg()
      .toBuffer();
    const options = { w: 300, f: 'avif' as const, wm: 'logo' };
    const inProcess = await transform({ input, options, watermark });
    const outside = await transform({ input, options, watermark, avifEncoder: pool });
    expect(outside.data.equals(inProcess.data)).toBe(true);
    expect(pool.pids.length).toBe(1);
  });

  it('a mezzanine: its pixels are made here and only they go to the child, the same bytes', async () => {
    pool = new AvifProcesses({ processes: 1, nice: 10 });
    const real = pool;
    const jobs: { kind: string; bytes: number }[] = [];
    // The real encoder, watched: which job it was given, and how many bytes went with it.
    const watched: OutsideEncoder = {
      encode(job, timeoutMs) {
        jobs.push({ kind: 'encode', bytes: job.pixels.length });
        return real.encode(job, timeoutMs);
      },
      transform(request, timeoutMs) {
        jobs.push({ kind: 'transform', bytes: Buffer.byteLength(request.input) });
        return real.transform(request, timeoutMs);
      },
    };
    // A 3200×2400 photo with a profile (its level carries the compact sRGB one), and a
    // 1600×1600 photo at half alpha (its pixels must not be divided by their alpha again).
    const photo = await sharp(await photoJpeg(320, 240, 9))
      .resize(3200, 2400)
      .withIccProfile('p3')
      .jpeg()
      .toBuffer();
    const cutout = await sharp(await photoJpeg(160, 160, 11))
      .resize(1600, 1600)
      .ensureAlpha(0.5)
      .png()
      .toBuffer();
    for (const [original, facts, w, channels] of [
      [photo, { width: 3200, height: 2400, frames: 1, hasAlpha: false, format: 'jpeg' }, 600, 3],
      [cutout, { width: 1600, height: 1600, frames: 1, hasAlpha: true, format: 'png' }, 700, 4],
    ] as const) {
      jobs.length = 0;
      const level = (await makeMezzanine(original, facts, 50_000_000))?.find((l) => l.level === 1024);
      if (!level) throw new Error(`${facts.format}: no 1024 px level`);
      const request = { input: level.data, options: { w, f: 'avif' as const }, planAs: facts };
      const inProcess = await transform(request);
      const outside = await transform({ ...request, avifEncoder: watched });
      expect(outside.data.equals(inProcess.data), facts.format).toBe(true);
      expect((await sharp(outside.data).metadata()).hasProfile).toBe(!facts.hasAlpha);
      const bytes = outside.width * outside.height * channels;
      expect(jobs).toEqual([{ kind: 'encode', bytes }]);
      expect(level.data.length).toBeGreaterThan(2 * bytes);
    }
  });

  it("the child's failures are the pipeline's errors: a truncated JPEG is invalid_image", async () => {
    pool = new AvifProcesses({ processes: 1, nice: 10 });
    const whole = await photoJpeg(640, 480, 8);
    const truncated = whole.subarray(0, Math.floor(whole.length / 2));
    const inProcess = await transform({ input: truncated, options: { f: 'avif' } }).catch((e: unknown) => e);
    const outside = await transform({ input: truncated, options: { f: 'avif' }, avifEncoder: pool }).catch(
      (e: unknown) => e,
    );
    expect(isImgedgeError(inProcess) && inProcess.code).toBe('invalid_image');
    expect(isImgedgeError(outside) && outside.code).toBe('invalid_image');
    expect(pool.pids.length).toBe(1);
  });

  it('other formats stay in process', async () => {
    pool = new AvifProcesses({ processes: 1, nice: 10 });
    const result = await transform({
      input: await photoJpeg(64, 48),
      options: { f: 'webp' },
      avifEncoder: pool,
    });
    expect(result.format).toBe('webp');
    expect(pool.pids).toEqual([]);
  });

  it('every thread of a child runs at AVIF_NICE', async () => {
    pool = new AvifProcesses({ processes: 1, nice: 13 });
    await transform({ input: await photoJpeg(320, 240), options: { f: 'avif' }, avifEncoder: pool });
    const [pid] = pool.pids;
    if (pid === undefined) throw new Error('no child');
    const nices = threadNices(pid);
    expect(nices.length).toBeGreaterThan(1);
    expect(new Set(nices)).toEqual(new Set([13]));
  });

  it('a child killed mid-encode fails only that encode (503 unavailable); the next gets a new child', async () => {
    const restarts: string[] = [];
    pool = new AvifProcesses({ processes: 1, nice: 10, onRestart: (r) => restarts.push(r) });
    const input = await photoJpeg(1600, 1200, 5);
    await transform({ input, options: { w: 64, f: 'avif' }, avifEncoder: pool });
    const [first] = pool.pids;
    if (first === undefined) throw new Error('no child');
    const running = transform({ input, options: { f: 'avif' }, avifEncoder: pool });
    // The pixels reach the child before it is killed: the encode is under way.
    await new Promise((r) => setTimeout(r, 300));
    process.kill(first, 'SIGKILL');
    const err = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isImgedgeError(err) && err.code).toBe('unavailable');
    expect(restarts).toEqual(['crashed']);
    const next = await transform({ input, options: { w: 200, f: 'avif' }, avifEncoder: pool });
    expect(next.format).toBe('avif');
    expect(pool.pids).not.toContain(first);
  });

  it('an encode over its time is killed with its child (transform_timeout)', async () => {
    pool = new AvifProcesses({ processes: 1, nice: 10 });
    const input = await photoJpeg(2400, 1800, 6);
    // 4 MP at effort 9 takes many seconds; the limit is 1 s.
    const slow = pool.encode(
      {
        pixels: await sharp(input).raw().toBuffer(),
        raw: { width: 2400, height: 1800, channels: 3 },
        options: { quality: 60, effort: 9 },
        srgbProfile: false,
      },
      1000,
    );
    await until('the child', () => pool!.pids.length === 1);
    const [pid] = pool.pids;
    const err = await slow.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isImgedgeError(err) && err.code).toBe('transform_timeout');
    await until('the killed child to go', () => !alive(pid!));
  });

  it('close() stops every child', async () => {
    pool = new AvifProcesses({ processes: 2, nice: 10 });
    const input = await photoJpeg(320, 240);
    await Promise.all(
      [1, 2].map((w) => transform({ input, options: { w: 100 + w, f: 'avif' }, avifEncoder: pool })),
    );
    const pids = pool.pids;
    expect(pids.length).toBe(2);
    await pool.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(
      pool.encode(
        {
          pixels: Buffer.alloc(3),
          raw: { width: 1, height: 1, channels: 3 },
          options: {},
          srgbProfile: false,
        },
        1000,
      ),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });
});
