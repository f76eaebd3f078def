/** Storage operations in /metrics, by backend (the one this run uses: local, or s3 with IMGEDGE_TEST_STORAGE=s3) and operation. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '../../support/db.js';
import { photoJpeg } from '../../support/images.js';
import { startTestOrigin, type TestOrigin, testStorageKind } from '../../support/origin.js';
import { bearer, ownerToken, uploadOk } from '../api/helpers.js';

describe(`storage metrics [${testDbKind}, ${testStorageKind}]`, () => {
  let origin: TestOrigin;
  beforeAll(async () => {
    origin = await startTestOrigin();
  });
  afterAll(() => origin?.close());

  const count = (operation: string) =>
    origin.metric('imgedge_storage_operation_duration_seconds_count', {
      backend: testStorageKind,
      operation,
    });

  it('put, get, delete and probe are each timed under the backend in use', async () => {
    expect(origin.originals.backend).toBe(testStorageKind);
    const [put0, get0, del0] = await Promise.all(['put', 'get', 'delete'].map(count));
    const token = await ownerToken(origin, 'metrics');
    const image = await uploadOk(origin, await photoJpeg(40, 30, 9), token);
    expect(await count('put')).toBe(put0! + 1);
    expect((await origin.variant(`w=10/${image.id}`, 'format=webp')).status).toBe(200);
    expect(await count('get')).toBe(get0! + 1);
    const res = await fetch(`${origin.api}/images/${image.id}`, { method: 'DELETE', headers: bearer(token) });
    expect(res.status).toBe(204);
    expect(await count('delete')).toBe(del0! + 1);
    // A scrape runs the health checks itself when the last /health is older than 15 s
    // (ops/health-monitor.ts): take the baseline right before /health.
    const probe0 = await count('probe');
    expect((await fetch(`${origin.url}/health`)).status).toBe(200);
    expect(await count('probe')).toBe(probe0 + 1);
    expect(await origin.metric('imgedge_storage_errors_total', { backend: testStorageKind })).toBe(0);
  });
});
