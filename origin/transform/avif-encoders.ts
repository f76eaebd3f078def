/**
 * AVIF encodes in child processes at a lower CPU priority (AVIF_NICE). An AVIF encode takes
 * seconds of CPU at large sizes and libvips cannot interrupt it; in the origin's process it takes
 * a core from the WebP/JPEG misses next to it, whatever share of the work pool's slots it holds.
 * Niced, it runs on what those leave (measured: WebP p99 with two AVIF encoders busy, 216–219 ms
 * at nice 10/19 vs 224 alone, 364 at nice 0 and 400 in process). The pipeline hands over the
 * processed pixels (transform.ts): the output is the in-process one, byte for byte.
 *
 * One job at a time per child, up to `processes` children (started on first use; the work pool's
 * AVIF slots already bound how many encodes run). A child that dies fails only the encode it was
 * running (503 `unavailable`, retry) and is replaced on the next one; an encode over its time is
 * killed with its child (`transform_timeout`), which in-process libvips could not do. close()
 * stops every child; a child whose parent dies exits on the IPC disconnect.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { AvifOptions } from 'sharp';
import { ImgedgeError } from '../../shared/errors.js';
import { toTransformError } from './errors.js';

export interface RawPixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  premultiplied?: boolean;
}

export interface EncodeJob {
  pixels: Buffer;
  raw: RawPixels;
  options: AvifOptions;
  /** Tag the output with the sRGB profile (the source carried one). */
  srgbProfile: boolean;
}

/** Parent → child (structured clone: the pixels arrive as a Uint8Array). */
export interface EncodeRequest extends Omit<EncodeJob, 'pixels'> {
  id: number;
  pixels: Uint8Array;
}

/** Child → parent. */
export type EncodeReply = { id: number; data: Uint8Array } | { id: number; error: string };

/** What transform() needs of an encoder outside the process. */
export interface OutsideEncoder {
  encode(job: EncodeJob, timeoutMs: number): Promise<Buffer>;
}

export interface AvifProcessesOptions {
  processes: number;
  /** Nice value of the children, 0 (as the origin) … 19 (lowest). */
  nice: number;
  /** A child died while encoding, or was killed for its time. */
  onRestart?: (reason: 'crashed' | 'timeout') => void;
}

interface Pending {
  id: number;
  job: EncodeJob;
  timeoutMs: number;
  resolve: (data: Buffer) => void;
  reject: (err: unknown) => void;
}

interface Worker {
  child: ChildProcess;
  busy: (Pending & { timer: NodeJS.Timeout }) | undefined;
}

/** The child entry: the .ts beside this file under tsx (tests), the compiled .js in production. */
function childEntry(): { path: URL; execArgv: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  return {
    path: new URL(ts ? './avif-child.ts' : './avif-child.js', import.meta.url),
    execArgv: ts ? ['--import', 'tsx'] : [],
  };
}

export class AvifProcesses implements OutsideEncoder {
  private readonly workers = new Set<Worker>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: AvifProcessesOptions) {
    if (options.processes < 1) throw new Error('AvifProcesses needs at least one process');
    if (!(Number.isInteger(options.nice) && options.nice >= 0 && options.nice <= 19))
      throw new Error('AvifProcesses nice must be an integer in 0..19');
  }

  /** Pids of the running children. */
  get pids(): number[] {
    return [...this.workers].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  encode(job: EncodeJob, timeoutMs: number): Promise<Buffer> {
    if (this.closed) return Promise.reject(new ImgedgeError('unavailable', 'The origin is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, timeoutMs, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new ImgedgeError('unavailable', 'The origin is shutting down'));
    await Promise.all([...this.workers].map((w) => stop(w.child)));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let worker = [...this.workers].find((w) => !w.busy);
      if (!worker && this.workers.size < this.options.processes) worker = this.spawn();
      if (!worker) return;
      this.start(worker, this.queue.shift()!);
    }
  }

  private spawn(): Worker {
    const { path, execArgv } = childEntry();
    const child = fork(path, [], {
      serialization: 'advanced',
      execArgv,
      env: { ...process.env, IMGEDGE_AVIF_NICE: String(this.options.nice) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, busy: undefined };
    this.workers.add(worker);
    child.on('message', (reply: EncodeReply) => this.finish(worker, reply));
    child.once('exit', () => this.exited(worker));
    // A fork that cannot start reports through 'error' and 'exit'; the job fails in exited().
    child.on('error', () => {});
    return worker;
  }

  private start(worker: Worker, pending: Pending): void {
    const timer = setTimeout(() => {
      if (worker.busy?.id !== pending.id) return;
      worker.busy = undefined;
      this.options.onRestart?.('timeout');
      pending.reject(new ImgedgeError('transform_timeout', 'Image processing took longer than the limit'));
      worker.child.kill('SIGKILL');
    }, pending.timeoutMs);
    worker.busy = { ...pending, timer };
    const { pixels, ...rest } = pending.job;
    const request: EncodeRequest = { ...rest, id: pending.id, pixels };
    worker.child.send(request);
  }

  private finish(worker: Worker, reply: EncodeReply): void {
    const busy = worker.busy;
    if (!busy || busy.id !== reply.id) return;
    clearTimeout(busy.timer);
    worker.busy = undefined;
    if ('error' in reply) busy.reject(toTransformError(new Error(reply.error)));
    else busy.resolve(Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength));
    this.dispatch();
  }

  private exited(worker: Worker): void {
    this.workers.delete(worker);
    const busy = worker.busy;
    if (busy) {
      clearTimeout(busy.timer);
      worker.busy = undefined;
      this.options.onRestart?.('crashed');
      busy.reject(
        new ImgedgeError('unavailable', 'The AVIF encoder stopped during the encode; retry', {
          headers: { 'retry-after': '1' },
        }),
      );
    }
    if (!this.closed) this.dispatch();
  }
}

/** SIGTERM, then SIGKILL after 2 s; resolves when the child has exited. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
