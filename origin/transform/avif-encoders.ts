/**
 * AVIF work in child processes at a lower CPU priority (AVIF_NICE). An AVIF encode takes seconds
 * of CPU at large sizes and libvips cannot interrupt it; in the origin's process it takes a core
 * from the WebP/JPEG misses next to it, whatever share of the work pool's slots it holds. Niced,
 * it runs on what those leave (bench origin-mixed, 2 cores: WebP p99 with 4 AVIF clients busy
 * 1.21–1.36× alone with two AVIF slots here, against 1.39–1.66× with one slot in process).
 *
 * Two kinds of job (transform.ts decides, once the plan says the output is AVIF):
 * - `transform`: the whole pipeline, decode included, for an original as given (no watermark):
 *   the child runs the same transform() on the same bytes;
 * - `encode`: the pixels the pipeline made here (a watermarked output, whose watermark's pixels
 *   live in this process, or a mezzanine's, cheap to decode and bigger than its outputs) → AVIF,
 *   tagged sRGB when asked: the bytes of an in-process encode.
 *
 * One job at a time per child, up to `processes` children (started on first use; the work pool's
 * AVIF slots already bound how many run). A child that dies fails only the job it was running
 * (503 `unavailable`, retry) and is replaced on the next one; a job over its time is killed with
 * its child (`transform_timeout`), which in-process libvips could not do. close() stops every
 * child; a child whose parent dies exits on the IPC disconnect.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { AvifOptions } from 'sharp';
import { type ErrorCode, ImgedgeError } from '../../shared/errors.js';
import { toTransformError } from './errors.js';
import type { TransformRequest, TransformResult } from './types.js';

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

/** A transform the child can run as given: no watermark, no encoder of its own. */
export type ChildTransformRequest = Omit<TransformRequest, 'watermark' | 'avifEncoder'>;

/** Parent → child (structured clone: Buffers arrive as Uint8Arrays). */
export type ChildRequest =
  | ({ id: number; kind: 'encode' } & EncodeJob)
  | { id: number; kind: 'transform'; request: ChildTransformRequest };

/** Child → parent. */
export type ChildReply =
  | { id: number; data: Uint8Array }
  | { id: number; result: TransformResult }
  | { id: number; error: string; code?: ErrorCode; headers?: Record<string, string> };

/** What transform() needs of an encoder outside the process. */
export interface OutsideEncoder {
  encode(job: EncodeJob, timeoutMs: number): Promise<Buffer>;
  transform(request: ChildTransformRequest, timeoutMs: number): Promise<TransformResult>;
}

export interface AvifProcessesOptions {
  processes: number;
  /** Nice value of the children, 0 (as the origin) … 19 (lowest). */
  nice: number;
  /** A child died while working, or was killed for its time. */
  onRestart?: (reason: 'crashed' | 'timeout') => void;
}

type Job = { kind: 'encode'; job: EncodeJob } | { kind: 'transform'; request: ChildTransformRequest };

interface Pending {
  id: number;
  job: Job;
  timeoutMs: number;
  resolve: (reply: ChildReply) => void;
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

/** A Buffer over the bytes of a Uint8Array from the IPC channel (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const shuttingDown = () => new ImgedgeError('unavailable', 'The origin is shutting down');

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

  async encode(job: EncodeJob, timeoutMs: number): Promise<Buffer> {
    const reply = await this.run({ kind: 'encode', job }, timeoutMs);
    if (!('data' in reply)) throw new Error('AVIF encoder answered an encode without bytes');
    return asBuffer(reply.data);
  }

  async transform(request: ChildTransformRequest, timeoutMs: number): Promise<TransformResult> {
    const reply = await this.run({ kind: 'transform', request }, timeoutMs);
    if (!('result' in reply)) throw new Error('AVIF encoder answered a transform without a result');
    return { ...reply.result, data: asBuffer(reply.result.data) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(shuttingDown());
    await Promise.all([...this.workers].map((w) => stop(w.child)));
  }

  private run(job: Job, timeoutMs: number): Promise<ChildReply> {
    if (this.closed) return Promise.reject(shuttingDown());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, timeoutMs, resolve, reject });
      this.dispatch();
    });
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
    child.on('message', (reply: ChildReply) => this.finish(worker, reply));
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
    const { job } = pending;
    const request: ChildRequest =
      job.kind === 'encode'
        ? { id: pending.id, kind: 'encode', ...job.job }
        : { id: pending.id, kind: 'transform', request: job.request };
    worker.child.send(request);
  }

  private finish(worker: Worker, reply: ChildReply): void {
    const busy = worker.busy;
    if (!busy || busy.id !== reply.id) return;
    clearTimeout(busy.timer);
    worker.busy = undefined;
    if ('error' in reply) {
      busy.reject(
        reply.code
          ? new ImgedgeError(reply.code, reply.error, reply.headers ? { headers: reply.headers } : {})
          : toTransformError(new Error(reply.error)),
      );
    } else {
      busy.resolve(reply);
    }
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
