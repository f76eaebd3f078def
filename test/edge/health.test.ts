import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('edge /health', () => {
  it('answers ok', async () => {
    const res = await exports.default.fetch('http://edge.test/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});
