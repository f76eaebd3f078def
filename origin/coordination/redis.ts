/**
 * The origin's Redis connections for coordination (REDIS_URL). Calls fail fast while Redis is down
 * (no offline queue, bounded retries and command timeout) so callers fall back to local behaviour
 * instead of hanging; the client reconnects in the background with capped exponential backoff.
 * `status` is 'up' once the connection is ready and 'down' otherwise; every change is emitted as a
 * 'status' event (and logged when a logger is given).
 */
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';

export type RedisStatus = 'up' | 'down';

export interface RedisConnectionOptions {
  /** Shown in logs and in CLIENT LIST. */
  name?: string;
  /** Bound on one command (ms). */
  commandTimeoutMs?: number;
  /** Bound on opening the TCP connection (ms). */
  connectTimeoutMs?: number;
  /** Cap of the reconnect backoff (ms). */
  maxReconnectDelayMs?: number;
  logger?: Logger;
}

export interface RedisConnectionEvents {
  status: [status: RedisStatus, error: Error | undefined];
}

export class RedisConnection extends EventEmitter<RedisConnectionEvents> {
  readonly client: Redis;
  private current: RedisStatus = 'down';
  private lastError: Error | undefined;
  private closed = false;

  constructor(
    readonly url: string,
    private readonly options: RedisConnectionOptions = {},
  ) {
    super();
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // Subscriptions are restored by SharedSubscriber, which knows which channels still matter.
      autoResubscribe: false,
      connectionName: options.name,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    };
    this.client = new Redis(url, redisOptions);
    this.client.on('ready', () => this.set('up', undefined));
    this.client.on('error', (err: Error) => {
      this.lastError = err;
    });
    this.client.on('close', () => this.set('down', this.lastError));
    this.client.on('end', () => this.set('down', this.lastError));
  }

  get status(): RedisStatus {
    return this.current;
  }

  get isUp(): boolean {
    return this.current === 'up';
  }

  /** The last connection error, for health reports. */
  get error(): Error | undefined {
    return this.lastError;
  }

  /**
   * Open the connection. Never rejects: when Redis is down the status stays 'down' and the client
   * keeps reconnecting in the background.
   */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (err) {
      this.lastError = err instanceof Error ? err : new Error(String(err));
    }
  }

  /** A second connection to the same server with the same options (e.g. for subscriptions). */
  duplicate(name?: string): RedisConnection {
    return new RedisConnection(this.url, { ...this.options, name: name ?? this.options.name });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }

  private set(status: RedisStatus, error: Error | undefined): void {
    if (status === this.current) return;
    this.current = status;
    if (status === 'up') this.lastError = undefined;
    const log = this.options.logger;
    const name = this.options.name ?? 'redis';
    if (log && !this.closed) {
      if (status === 'up') log.info({ redis: name }, 'redis up');
      else log.warn({ redis: name, err: error?.message }, 'redis down: coordination falls back to local');
    }
    this.emit('status', status, error);
  }
}
