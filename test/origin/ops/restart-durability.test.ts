/**
 * Restart durability of the real process: concurrent uploads, SIGKILL mid-load, start again on the
 * same database and folders. Every upload the origin acknowledged (201/200) must survive with the
 * same sha256, on disk and in the database; no row points at a missing or partial file; no file
 * under its final name is partial; UPLOAD_DIR/.tmp is emptied at start; and the origin keeps
 * working (dedupe across the restart, variants of every surviving image).
 *
 * On real Postgres the database survives the kill on its own server; on PGlite (PGLITE_DIR) the
 * database lived inside the killed process, so this also proves PGlite's own crash recovery.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeDb } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { TEST_ORIGIN_TOKEN } from '../../support/origin.js';
import {
  cliCreateClient,
  fetchToken,
  type IsolatedDatabase,
  isolatedDatabase,
  type OriginProcess,
  originEnv,
  spawnOrigin,
  tempDirs,
} from '../../support/spawn-origin.js';

const TOTAL = 60;
const CONCURRENCY = 8;
const KILL_AFTER = 20;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Ack {
  id: string;
  sha256: string;
  bytes: number;
  status: number;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

describeDb('restart durability: SIGKILL mid-upload, then start again', () => {
  let database: IsolatedDatabase;
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let client: { client_id: string; client_secret: string };
  const running: OriginProcess[] = [];

  beforeAll(async () => {
    database = await isolatedDatabase();
    dirs = await tempDirs();
    client = await cliCreateClient(database.env, 'durability');
  });
  afterAll(async () => {
    for (const o of running) await o.kill();
    await database?.close();
    await dirs?.remove();
  });

  const start = async () => {
    const o = await spawnOrigin({ ...originEnv(dirs), ...database.env });
    running.push(o);
    return o;
  };
  const tokenFor = async (o: OriginProcess) => {
    const res = await fetchToken(o.api, client.client_id, client.client_secret);
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const upload = (o: OriginProcess, token: string, body: Buffer) =>
    fetch(`${o.api}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body,
    });

  it('every acknowledged upload survives, whole, with its sha256; nothing partial is published', async () => {
    // Distinct, real images (each seed draws a different picture).
    const images = await Promise.all(
      Array.from({ length: TOTAL }, (_, i) => photoJpeg(96 + (i % 5) * 8, 64 + (i % 3) * 8, 1000 + i)),
    );
    const hashes = images.map(sha256);
    expect(new Set(hashes).size).toBe(TOTAL);

    // --- Load, then SIGKILL after KILL_AFTER acknowledgements -----------------------------
    const first = await start();
    const token = await tokenFor(first);
    const acked = new Map<number, Ack>();
    const failed: number[] = [];
    let next = 0;
    let killed = false;
    let inFlight = 0;
    let inFlightAtKill = -1;

    const worker = async () => {
      while (!killed && next < TOTAL) {
        const index = next++;
        inFlight++;
        try {
          const res = await upload(first, token, images[index]!);
          const body = (await res.json()) as { id: string; sha256: string; bytes: number };
          if (res.status === 201 || res.status === 200) {
            acked.set(index, { id: body.id, sha256: body.sha256, bytes: body.bytes, status: res.status });
            if (!killed && acked.size >= KILL_AFTER) {
              killed = true;
              inFlightAtKill = inFlight - 1;
              first.child.kill('SIGKILL');
            }
          } else {
            throw new Error(`upload ${index} answered ${res.status}: ${JSON.stringify(body)}`);
          }
        } catch (err) {
          if (!killed) throw err;
          failed.push(index);
        } finally {
          inFlight--;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    // It really was mid-load: other uploads were on the wire when the process died.
    expect(inFlightAtKill).toBeGreaterThanOrEqual(1);
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acked.size).toBeLessThan(TOTAL);
    for (const [index, ack] of acked) {
      expect(ack.status).toBe(201);
      expect(ack.sha256).toBe(hashes[index]);
      expect(ack.bytes).toBe(images[index]!.byteLength);
    }

    // A leftover of an earlier crash, next to whatever partial uploads this one left.
    const tmp = join(dirs.upload, '.tmp');
    await writeFile(join(tmp, 'leftover-from-a-crash.part'), 'half an image');

    // --- Restart on the same database and folders ------------------------------------------
    const second = await start();
    // Checked before any request (the health probe would write into .tmp itself).
    expect(await readdir(tmp)).toEqual([]);
    const token2 = await tokenFor(second);
    const auth = { authorization: `Bearer ${token2}` };

    // Every acknowledged upload: in the database, on disk whole, and servable.
    for (const [index, ack] of acked) {
      const res = await fetch(`${second.api}/images/${ack.id}`, { headers: auth });
      expect(res.status, `image ${index} (${ack.id})`).toBe(200);
      const record = (await res.json()) as { sha256: string; bytes: number };
      expect(record.sha256).toBe(ack.sha256);
      expect(record.bytes).toBe(ack.bytes);
      const file = join(dirs.upload, ack.sha256.slice(0, 2), ack.sha256.slice(2, 4), ack.sha256);
      const onDisk = await readFile(file);
      expect(sha256(onDisk)).toBe(ack.sha256);
      expect(onDisk.equals(images[index]!)).toBe(true);
      const variant = await fetch(`${second.url}/internal/v1/variants/w=32/${ack.id}?format=webp`, {
        headers: { authorization: `Bearer ${TEST_ORIGIN_TOKEN}` },
      });
      expect(variant.status).toBe(200);
      const meta = await sharp(Buffer.from(await variant.arrayBuffer())).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.width).toBe(32);
    }

    // Every row (acknowledged or not) points at a whole file: list them all.
    const listed: { id: string; sha256: string }[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=25&cursor=${encodeURIComponent(cursor)}` : '?limit=25';
      const page = await fetch(`${second.api}/images${q}`, { headers: auth });
      expect(page.status).toBe(200);
      const body = (await page.json()) as {
        items: { id: string; sha256: string }[];
        next_cursor: string | null;
      };
      listed.push(...body.items);
      cursor = body.next_cursor;
    } while (cursor);
    const listedIds = new Set(listed.map((r) => r.id));
    for (const ack of acked.values()) expect(listedIds.has(ack.id)).toBe(true);
    expect(listedIds.size).toBe(listed.length);
    for (const row of listed) {
      expect(hashes).toContain(row.sha256);
      const onDisk = await readFile(
        join(dirs.upload, row.sha256.slice(0, 2), row.sha256.slice(2, 4), row.sha256),
      );
      expect(sha256(onDisk)).toBe(row.sha256);
    }

    // No file under a final name is partial: every name is the hash of its content, at ab/cd/.
    const files = (await filesUnder(dirs.upload)).filter((f) => !f.startsWith(`.tmp${sep}`));
    expect(files.length).toBeGreaterThanOrEqual(acked.size);
    for (const file of files) {
      const parts = file.split(sep);
      expect(parts).toHaveLength(3);
      const [ab, cd, name] = parts as [string, string, string];
      expect(name).toMatch(/^[0-9a-f]{64}$/);
      expect(`${ab}${cd}`).toBe(name.slice(0, 4));
      expect(sha256(await readFile(join(dirs.upload, file)))).toBe(name);
    }

    // The origin keeps working: uploading all 60 again dedupes the survivors (same ids, 200)
    // and stores the rest; afterwards exactly 60 images exist.
    for (let index = 0; index < TOTAL; index++) {
      const res = await upload(second, token, images[index]!);
      const body = (await res.json()) as { id: string; sha256: string };
      const survivor = listed.find((r) => r.sha256 === hashes[index]);
      if (survivor) {
        expect(res.status).toBe(200);
        expect(body.id).toBe(survivor.id);
      } else {
        expect(res.status).toBe(201);
      }
      expect(body.sha256).toBe(hashes[index]);
    }
    const after = await fetch(`${second.api}/images?limit=100`, { headers: auth });
    expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(TOTAL);
  }, 120_000);
});
