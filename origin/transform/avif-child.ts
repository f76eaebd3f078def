/**
 * The AVIF process (avif-encoders.ts forks it): lowers its CPU priority to IMGEDGE_AVIF_NICE,
 * every thread already running and before sharp starts one (threads inherit the nice value of the
 * thread that creates them, so libvips' and libaom's workers run at it), then serves one job at a
 * time: a whole transform (the same transform() on the same bytes), or raw pixels + AVIF options →
 * AVIF bytes, tagged sRGB when asked (as the pipeline's colour-space step does). Exits when the
 * parent goes.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isImgedgeError } from '../../shared/errors.js';
import { asBuffer, type ChildReply, type ChildRequest } from './avif-encoders.js';

const nice = Number(process.env.IMGEDGE_AVIF_NICE ?? 0);
setPriority(nice);
// Node's own threads (V8's workers, started before this line) too: on Linux each is a task id.
try {
  for (const tid of readdirSync('/proc/self/task')) setPriority(Number(tid), nice);
} catch {
  // No /proc: the threads started from now on inherit it, which is what matters.
}
// Loaded after the priority is set; the handler is attached now so no early job is missed.
const loading = Promise.all([import('sharp'), import('./transform.js')]);

const reply = (message: ChildReply) => process.send?.(message);

process.on('message', async (job: ChildRequest) => {
  try {
    const [{ default: sharp }, { transform }] = await loading;
    if (job.kind === 'transform') {
      const { input } = job.request;
      const result = await transform({
        ...job.request,
        input: typeof input === 'string' ? input : asBuffer(input),
      });
      reply({ id: job.id, result });
      return;
    }
    const image = sharp(asBuffer(job.pixels), { raw: job.raw, limitInputPixels: false });
    if (job.srgbProfile) image.withIccProfile('srgb');
    reply({ id: job.id, data: await image.avif(job.options).toBuffer() });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    reply(
      isImgedgeError(err)
        ? { id: job.id, error: message, code: err.code, headers: err.headers }
        : { id: job.id, error: message },
    );
  }
});
process.on('disconnect', () => process.exit(0));
