/**
 * Tier 2 of the variant path (the shared bucket, storage/variant-store.ts) and, with coordination,
 * single-flight across replicas. On a tier-1 miss: tier 2 → (flight) → transform.
 * - A tier-2 hit fills tier 1.
 * - Without coordination, a variant made here goes to tier 2 off the response path.
 * - With coordination, the flight's holder stores it in tier 2 before it releases the lock, so the
 *   replicas waiting for it find it there (coordination/replica-single-flight.ts); while Redis is
 *   down the flight falls back to producing locally.
 * Tier 2 failing (bucket down) never fails a variant by itself: a read is a miss, a write is logged.
 */
import type { FlightWork } from '../coordination/replica-single-flight.js';
import type { VariantStore } from '../storage/variant-store.js';
import type { VariantCache } from './disk-cache.js';

/** A variant as the service produced or found it; `ms` undefined: no transform here (tier 2). */
export interface Made {
  data: Buffer;
  format: string;
  ms: number | undefined;
}

/** A variant's key in tier 2; `pipeline` absent: PIPELINE_VERSION (made from the original). */
interface VariantKey {
  canonical: string;
  requested: string;
  pipeline?: string | undefined;
}

export type Tier2Event = 'hit' | 'miss' | 'error' | 'put' | 'put_error';

/** ReplicaSingleFlight<Made>, as far as tier 2 uses it. */
export interface VariantFlight {
  run(key: string, work: FlightWork<Made>): Promise<Made>;
}

export interface Tier2Options {
  store: VariantStore;
  /** Tier 1, filled on a tier-2 hit. */
  cache: VariantCache;
  /** Single-flight across replicas (coordination on); absent: this replica's flight only. */
  flight?: VariantFlight;
  onEvent?: (event: Tier2Event) => void;
  onError?: (err: unknown, operation: 'get' | 'put') => void;
}

export class Tier2 {
  constructor(private readonly options: Tier2Options) {}

  /**
   * The variant from tier 2, or `produce`d. `produce` gets the way to keep its result in tier 2,
   * to call once the variant is made.
   */
  async fetchOrProduce(
    key: string,
    req: VariantKey,
    sha256: string,
    produce: (storeInTier2: (made: Made) => Promise<void>) => Promise<Made>,
  ): Promise<Made> {
    const fetchExisting = () => this.fetch(sha256, req);
    const found = await fetchExisting();
    if (found) return found;
    const { flight } = this.options;
    if (!flight) {
      return produce(async (made) => {
        void this.store(sha256, req, made);
      });
    }
    return flight.run(key, {
      fetchExisting,
      produce: () => produce((made) => this.store(sha256, req, made)),
    });
  }

  private async fetch(sha256: string, req: VariantKey): Promise<Made | undefined> {
    const { store, cache, onEvent, onError } = this.options;
    const { canonical, requested, pipeline } = req;
    let found: Awaited<ReturnType<VariantStore['get']>>;
    try {
      found = await store.get(sha256, canonical, requested, pipeline);
    } catch (err) {
      onEvent?.('error');
      onError?.(err, 'get');
      return undefined;
    }
    onEvent?.(found ? 'hit' : 'miss');
    if (!found) return undefined;
    await cache.put(sha256, canonical, requested, found.data, found.format, pipeline).catch(() => {});
    return { data: found.data, format: found.format, ms: undefined };
  }

  private async store(sha256: string, req: VariantKey, made: Made): Promise<void> {
    const { store, onEvent, onError } = this.options;
    try {
      await store.put(sha256, req.canonical, req.requested, made.data, made.format, req.pipeline);
      onEvent?.('put');
    } catch (err) {
      onEvent?.('put_error');
      onError?.(err, 'put');
    }
  }
}
