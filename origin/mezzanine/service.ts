/**
 * Mezzanines at run time: `ensure` returns an original's mezzanine, making and storing it first
 * when it is missing (at most one make per sha256 at a time in this process); `schedule` makes it
 * in the background after an upload (runInBackground: the upload's 201 never waits for it).
 * Variants that use it: variants/service.ts (the decision is policy.ts's usesMezzanine).
 */
import { ImgedgeError } from '../../shared/errors.js';
import type { OriginalStore } from '../storage/originals.js';
import { SingleFlight } from '../variants/single-flight.js';
import type { WorkPool } from '../variants/work-pool.js';
import { makeMezzanine } from './make.js';
import { mezzanineShape, type OriginalFacts } from './policy.js';
import type { MezzanineStore } from './store.js';

export interface MezzanineDeps {
  store: MezzanineStore;
  originals: OriginalStore;
  pool: WorkPool;
  maxInputPixels: number;
  /** Background failures (logged by the caller). */
  onError?: (err: unknown, sha256: string) => void;
  /** made: stored now; found: already there; none: the original gets none. */
  onEvent?: (event: 'made' | 'found' | 'none' | 'error') => void;
}

/**
 * Where a mezzanine's background work runs: the pool's background lane, in idle slots only, after
 * every waiting on-demand variant (work-pool.ts). Never awaited by a request; failures (a full
 * background queue included) go to `onError`.
 */
export function runInBackground<T>(deps: Pick<MezzanineDeps, 'pool'>, task: () => Promise<T>): Promise<T> {
  return deps.pool.run(task, { lane: 'background' });
}

export class Mezzanines {
  private readonly flights = new SingleFlight<Buffer | undefined>();

  constructor(private readonly deps: MezzanineDeps) {}

  /**
   * The mezzanine's bytes; made from the original when missing. The caller holds a pool slot (the
   * make runs in it). Undefined when the original gets none.
   */
  async ensure(sha256: string, facts: OriginalFacts): Promise<Buffer | undefined> {
    if (!mezzanineShape(facts)) return undefined;
    const found = await this.deps.store.get(sha256);
    if (found) return found;
    return this.flights.do(sha256, async () => {
      const again = await this.deps.store.get(sha256);
      if (again) return again;
      const original = await this.deps.originals.read(sha256);
      if (!original) throw new ImgedgeError('not_found', 'No such image');
      const data = await makeMezzanine(original, facts, this.deps.maxInputPixels);
      if (data) {
        await this.deps.store.put(sha256, data);
        this.deps.onEvent?.('made');
      }
      return data;
    }).promise;
  }

  /** After an upload: make the mezzanine in the background (none for sources it does not help). */
  schedule(sha256: string, facts: OriginalFacts): void {
    if (!mezzanineShape(facts)) {
      this.deps.onEvent?.('none');
      return;
    }
    runInBackground(this.deps, () => this.ensure(sha256, facts)).catch((err: unknown) => {
      this.deps.onEvent?.('error');
      this.deps.onError?.(err, sha256);
    });
  }

  /** The original's bytes went: its mezzanine goes too (release.ts). */
  remove(sha256: string): Promise<void> {
    return this.deps.store.remove(sha256);
  }
}
