/**
 * One subscriber connection per process, fanned out in memory by channel. A channel is subscribed
 * while it has at least one handler; after a reconnect every channel that still has handlers is
 * subscribed again. A 'change' event fires whenever the set of confirmed subscriptions changes, so
 * users can tell when messages may have been missed.
 */
import { EventEmitter } from 'node:events';
import type { RedisConnection } from './redis.js';

export type MessageHandler = (message: string) => void;

export interface Listening {
  /** Settles once the channel is subscribed on the current connection; rejects if that fails. */
  ready: Promise<void>;
  remove: () => void;
}

export class SharedSubscriber extends EventEmitter<{ change: [] }> {
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private readonly confirmed = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(readonly connection: RedisConnection) {
    super();
    connection.client.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    connection.on('status', (status) => {
      this.pending.clear();
      if (this.confirmed.size > 0) {
        this.confirmed.clear();
        this.emit('change');
      }
      if (status === 'up') {
        for (const channel of this.handlers.keys()) this.ensure(channel).catch(() => {});
      }
    });
  }

  /** Is `channel` subscribed on the live connection (so no message to it can be missed)? */
  isSubscribed(channel: string): boolean {
    return this.confirmed.has(channel);
  }

  listen(channel: string, handler: MessageHandler): Listening {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    const remove = () => {
      const current = this.handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(channel);
      this.drop(channel);
    };
    return { ready: this.ensure(channel), remove };
  }

  private ensure(channel: string): Promise<void> {
    if (this.confirmed.has(channel)) return Promise.resolve();
    const inFlight = this.pending.get(channel);
    if (inFlight) return inFlight;
    const promise = this.connection.client.subscribe(channel).then(
      () => {
        if (this.pending.get(channel) !== promise) return; // a reconnect happened meanwhile
        this.pending.delete(channel);
        if (!this.handlers.has(channel)) return this.drop(channel, true);
        this.confirmed.add(channel);
        this.emit('change');
      },
      (err: unknown) => {
        if (this.pending.get(channel) === promise) this.pending.delete(channel);
        throw err;
      },
    );
    this.pending.set(channel, promise);
    return promise;
  }

  private drop(channel: string, force = false): void {
    const wasConfirmed = this.confirmed.delete(channel);
    if (wasConfirmed) this.emit('change');
    if ((wasConfirmed || force) && this.connection.isUp) {
      this.connection.client.unsubscribe(channel).catch(() => {});
    }
  }

  close(): Promise<void> {
    this.handlers.clear();
    return this.connection.close();
  }
}
