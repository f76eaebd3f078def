/**
 * The AVIF encoder process (avif-encoders.ts forks it): lowers its CPU priority to
 * IMGEDGE_AVIF_NICE, every thread already running and before sharp starts one (threads inherit
 * the nice value of the thread that creates them, so libvips' and libaom's workers run at it), then encodes one job at a
 * time: raw pixels + sharp AVIF options → AVIF bytes, tagged sRGB when asked (as the in-process
 * pipeline's colour-space step does). Exits when the parent goes.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { EncodeReply, EncodeRequest } from './avif-encoders.js';

const nice = Number(process.env.IMGEDGE_AVIF_NICE ?? 0);
setPriority(nice);
// Node's own threads (V8's workers, started before this line) too: on Linux each is a task id.
try {
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), nice);
} catch {
  // No /proc: the threads started from now on inherit it, which is what matters.
}
// Loaded after the priority is set; the handler is attached now so no early job is missed.
const loading = import('sharp');

const reply = (message: EncodeReply) => process.send?.(message);

process.on('message', async (job: EncodeRequest) => {
  try {
    const { default: sharp } = await loading;
    const pixels = Buffer.from(job.pixels.buffer, job.pixels.byteOffset, job.pixels.byteLength);
    const image = sharp(pixels, { raw: job.raw, limitInputPixels: false });
    if (job.srgbProfile) image.withIccProfile('srgb');
    const data = await image.avif(job.options).toBuffer();
    reply({ id: job.id, data });
  } catch (err) {
    reply({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
