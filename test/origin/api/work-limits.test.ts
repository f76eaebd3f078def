/**
 * MAX_ANIMATION_FRAMES and MAX_OUTPUT_PIXELS over real HTTP, on an origin with small limits:
 * `422 limit_exceeded` naming the variable, at upload (frames) and for variants (frames kept,
 * output pixels), with nothing stored or cached; the same requests under the limits answer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertImage } from '../../../origin/db/images.js';
import { describeDb } from '../../support/db.js';
import { animatedGifFrames, photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { expectProblem, ownerToken, sha256Hex, storedOriginals, variantFiles } from './helpers.js';

const MAX_ANIMATION_FRAMES = 4;
const MAX_OUTPUT_PIXELS = 1_000_000;

let origin: TestOrigin;
let token: string;

beforeAll(async () => {
  origin = await startTestOrigin({
    MAX_ANIMATION_FRAMES: String(MAX_ANIMATION_FRAMES),
    MAX_OUTPUT_PIXELS: String(MAX_OUTPUT_PIXELS),
  });
  token = await ownerToken(origin, 'work-limits');
});
afterAll(() => origin?.close());

describeDb('origin API: work limits', () => {
  it('an upload with more frames than MAX_ANIMATION_FRAMES: 422 limit_exceeded, nothing stored', async () => {
    const gif = await animatedGifFrames(MAX_ANIMATION_FRAMES + 1);
    const problem = await expectProblem(await origin.upload(gif, token, 'image/gif'), 422, 'limit_exceeded');
    expect(problem).toMatchObject({ limit: 'MAX_ANIMATION_FRAMES', value: 5, max: 4 });
    expect(problem.detail).toBe('The animation has 5 frames; MAX_ANIMATION_FRAMES is 4');
    expect(await storedOriginals(origin)).not.toContain(sha256Hex(gif));

    const ok = await origin.upload(await animatedGifFrames(MAX_ANIMATION_FRAMES), token, 'image/gif');
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { frames: number }).frames).toBe(4);
  });

  it('a variant keeping more frames (stored before the limit was lowered): 422; anim=0 serves', async () => {
    // Stored the way an upload under a higher limit stored it: the original, then the row.
    const gif = await animatedGifFrames(6);
    const sha256 = sha256Hex(gif);
    const temp = origin.originals.tempPath();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(temp, gif);
    await origin.originals.commit(temp, sha256);
    const id = 'oldAnimation6frames_x';
    await insertImage(origin.db, {
      id,
      owner: 'work-limits',
      sha256,
      bytes: gif.length,
      width: 16,
      height: 12,
      format: 'gif',
      frames: 6,
      hasAlpha: false,
    });

    const refused = await expectProblem(await origin.variant(`f=webp/${id}`), 422, 'limit_exceeded');
    expect(refused).toMatchObject({ limit: 'MAX_ANIMATION_FRAMES', value: 6, max: 4 });
    expect(await variantFiles(origin, sha256)).toEqual([]);
    const first = await origin.variant(`f=webp,anim=0/${id}`);
    expect(first.status).toBe(200);
  });

  it('a variant over MAX_OUTPUT_PIXELS (w=2000,enlarge=1 of 300×200): 422 before any work; 1000w serves', async () => {
    const res = await origin.upload(await photoJpeg(300, 200, 11), token);
    expect(res.status).toBe(201);
    const { id, sha256 } = (await res.json()) as { id: string; sha256: string };
    const refused = await expectProblem(
      await origin.variant(`w=2000,f=webp,enlarge=1/${id}`),
      422,
      'limit_exceeded',
    );
    expect(refused).toMatchObject({ limit: 'MAX_OUTPUT_PIXELS', value: 2000 * 1333, max: MAX_OUTPUT_PIXELS });
    expect(refused.detail).toBe('The output would have 2666000 pixels; MAX_OUTPUT_PIXELS is 1000000');
    expect(await variantFiles(origin, sha256)).toEqual([]);
    const ok = await origin.variant(`w=1000,f=webp,enlarge=1/${id}`);
    expect(ok.status).toBe(200);
  });
});
