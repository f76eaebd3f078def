import { describe, expect, it } from 'vitest';
import { ImgedgeError, PROBLEM_CONTENT_TYPE, problemResponse } from '../../shared/errors.js';

describe('problem+json', () => {
  it('renders code, status and extension members', async () => {
    const err = new ImgedgeError('invalid_option', 'w must be 1..8192', { extra: { key: 'w' } });
    const res = problemResponse(err, '/img/w=0/x');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await res.json()).toEqual({
      type: 'https://imgedge.dev/problems/invalid-option',
      title: 'Invalid image option',
      status: 400,
      code: 'invalid_option',
      detail: 'w must be 1..8192',
      instance: '/img/w=0/x',
      key: 'w',
    });
  });

  it('never leaks the message of an unknown error', async () => {
    const res = problemResponse(new Error('password=hunter2 at /srv/secret.ts:10'));
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('internal_error');
    expect(JSON.stringify(body)).not.toContain('hunter2');
  });

  it('carries its headers', () => {
    const res = problemResponse(
      new ImgedgeError('rate_limited', undefined, { headers: { 'retry-after': '3' } }),
    );
    expect(res.headers.get('retry-after')).toBe('3');
  });
});
