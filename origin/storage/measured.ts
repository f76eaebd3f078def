/** Wraps an OriginalStore so every operation's latency and failures land in the metrics, by backend and operation. */
import type { Metrics } from '../observability/metrics.js';
import type { OriginalStore } from './originals.js';

type Operation = 'put' | 'head' | 'get' | 'delete' | 'list' | 'probe';

export function measuredStore(store: OriginalStore, metrics: Metrics): OriginalStore {
  const backend = store.backend;
  async function measure<T>(operation: Operation, fn: () => Promise<T>): Promise<T> {
    const end = metrics.storageDuration.startTimer({ backend, operation });
    try {
      return await fn();
    } catch (err) {
      metrics.storageErrors.inc({ backend, operation });
      throw err;
    } finally {
      end();
    }
  }
  return {
    backend,
    init: () => store.init(),
    tempPath: () => store.tempPath(),
    commit: (tempPath, sha256) => measure('put', () => store.commit(tempPath, sha256)),
    exists: (sha256) => measure('head', () => store.exists(sha256)),
    read: (sha256) => measure('get', () => store.read(sha256)),
    remove: (sha256) => measure('delete', () => store.remove(sha256)),
    list: () => store.list(),
    probe: () => measure('probe', () => store.probe()),
  };
}
