/**
 * Mezzanines at run time: `ensure` returns one level of an original's mezzanine, making and
 * storing every level first when that one is missing (at most one make per sha256 at a time in
 * this process); `schedule` makes them in the background after an upload (runInBackground: the
 * upload's 201 never waits for it). Variants that use it: variants/service.ts (the level is
 * policy.ts's mezzanineLevel).
 */
import { ImgedgeError } from '../../shared/errors.js';
import type { OriginalStore } from '../storage/originals.js';
import { SingleFlight } from '../variants/single-flight.js';
import type { WorkPool } from '../variants/work-pool.js';
import { type MadeLevel, makeMezzanine } from './make.js';
import { type MezzanineLevelName, mezzanineLevels, type OriginalFacts } from './policy.js';
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
  private readonly flights = new SingleFlight<MadeLevel[] | undefined>();

  constructor(private readonly deps: MezzanineDeps) {}

  /**
   * The bytes of one level; every level made from the original first when that one is missing.
   * The caller holds a pool slot (the make runs in it). Undefined when the original gets none.
   */
  async ensure(sha256: string, facts: OriginalFacts, level: MezzanineLevelName): Promise<Buffer | undefined> {
    const levels = mezzanineLevels(facts);
    if (!levels?.some((l) => l.level === level)) return undefined;
    const found = await this.deps.store.get(sha256, level);
    if (found) return found;
    const made = await this.makeOnce(sha256, facts);
    return made?.find((l) => l.level === level)?.data ?? this.deps.store.get(sha256, level);
  }

  /** make(), at most once at a time per sha256 in this process. */
  private makeOnce(sha256: string, facts: OriginalFacts): Promise<MadeLevel[] | undefined> {
    return this.flights.do(sha256, () => this.make(sha256, facts)).promise;
  }

  /** Every level the store lacks, made from the original and stored; undefined: none lacked. */
  private async make(sha256: string, facts: OriginalFacts): Promise<MadeLevel[] | undefined> {
    const levels = mezzanineLevels(facts) ?? [];
    const present = await Promise.all(levels.map((l) => this.deps.store.has(sha256, l.level)));
    if (present.every(Boolean)) {
      this.deps.onEvent?.('found');
      return undefined;
    }
    const original = await this.deps.originals.read(sha256);
    if (!original) throw new ImgedgeError('not_found', 'No such image');
    const made = await makeMezzanine(original, facts, this.deps.maxInputPixels);
    for (const [i, level] of (made ?? []).entries()) {
      if (!present[i]) await this.deps.store.put(sha256, level.level, level.data);
    }
    this.deps.onEvent?.('made');
    return made;
  }

  /** After an upload: make the mezzanine in the background (none for sources it does not help). */
  schedule(sha256: string, facts: OriginalFacts): void {
    if (!mezzanineLevels(facts)) {
      this.deps.onEvent?.('none');
      return;
    }
    runInBackground(this.deps, () => this.makeOnce(sha256, facts)).catch((err: unknown) => {
      this.deps.onEvent?.('error');
      this.deps.onError?.(err, sha256);
    });
  }

  /** The original's bytes went: its mezzanine (every level) goes too (release.ts). */
  remove(sha256: string): Promise<void> {
    return this.deps.store.remove(sha256);
  }
}
