/**
 * Deletes (and focal-point changes, which re-key an id's variants) seen by every replica at once: `forget(id)` runs this process's handlers and PUBLISHes
 * the id, and every other replica's handlers run when the message arrives. Cached ids can then be
 * kept long while the subscription is healthy; while it is not (Redis down, subscriber
 * reconnecting) a message may be missed, so `currentTtlMs()` turns short and `onReset` handlers
 * are told to drop what they cached under the long TTL.
 */
import { randomBytes } from 'node:crypto';
import type { RedisConnection } from './redis.js';
import type { SharedSubscriber } from './subscriber.js';

export interface InvalidationOptions {
  channel?: string;
  /** Id-cache TTL while every forget is delivered. */
  longTtlMs?: number;
  /** Id-cache TTL while forgets may be missed. */
  shortTtlMs?: number;
}

/** `sha256`: set when the image's bytes are gone too, so every replica drops their variants. */
export type ForgetHandler = (id: string, sha256?: string) => void;

export class Invalidation {
  private readonly channel: string;
  private readonly longTtlMs: number;
  private readonly shortTtlMs: number;
  /** Identifies this process's own messages, whose handlers already ran. */
  private readonly sender = randomBytes(8).toString('hex');
  private readonly forgetHandlers = new Set<ForgetHandler>();
  private readonly resetHandlers = new Set<() => void>();
  private wasHealthy = false;
  private readonly stop: () => void;

  constructor(
    private readonly redis: RedisConnection,
    private readonly subscriber: SharedSubscriber,
    options: InvalidationOptions = {},
  ) {
    this.channel = options.channel ?? 'imgedge:forget';
    this.longTtlMs = options.longTtlMs ?? 300_000;
    this.shortTtlMs = options.shortTtlMs ?? 2000;
    const listening = subscriber.listen(this.channel, (message) => this.receive(message));
    listening.ready.catch(() => {}); // retried by the subscriber on reconnect
    const onChange = () => this.checkHealth();
    subscriber.on('change', onChange);
    this.stop = () => {
      listening.remove();
      subscriber.off('change', onChange);
    };
  }

  /** Delivered forgets are guaranteed only while this is true. */
  get healthy(): boolean {
    return this.subscriber.isSubscribed(this.channel);
  }

  /** The TTL an id-cache entry written now should get. */
  currentTtlMs(): number {
    return this.healthy ? this.longTtlMs : this.shortTtlMs;
  }

  onForget(handler: ForgetHandler): () => void {
    this.forgetHandlers.add(handler);
    return () => this.forgetHandlers.delete(handler);
  }

  /** Called when delivery starts or stops being guaranteed: drop entries cached under the long TTL. */
  onReset(handler: () => void): () => void {
    this.resetHandlers.add(handler);
    return () => this.resetHandlers.delete(handler);
  }

  /**
   * Forget `id` (and, when given, the variants of `sha256`) here at once and on every other replica. Resolves false when the message could
   * not be published (Redis down): other replicas then forget it within the short TTL.
   */
  async forget(id: string, sha256?: string): Promise<boolean> {
    for (const handler of this.forgetHandlers) handler(id, sha256);
    try {
      await this.redis.client.publish(this.channel, JSON.stringify({ id, sha256, from: this.sender }));
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.stop();
  }

  private receive(message: string): void {
    let parsed: { id?: unknown; sha256?: unknown; from?: unknown };
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof parsed.id !== 'string' || parsed.from === this.sender) return;
    const sha256 = typeof parsed.sha256 === 'string' ? parsed.sha256 : undefined;
    for (const handler of this.forgetHandlers) handler(parsed.id, sha256);
  }

  private checkHealth(): void {
    const healthy = this.healthy;
    if (healthy === this.wasHealthy) return;
    this.wasHealthy = healthy;
    for (const handler of this.resetHandlers) handler();
  }
}
