/**
 * POST /api/v1/oauth/token — the client-credentials grant over real HTTP against a real origin:
 * form-body and HTTP Basic credentials, the issued JWT's claims, and every refusal.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokeClient } from '../../../origin/auth/clients.js';
import { describeDb } from '../../support/db.js';
import { startTestOrigin, type TestOrigin } from '../../support/origin.js';
import { bearer, expectProblem } from './helpers.js';

let origin: TestOrigin;
let client: { client_id: string; client_secret: string };
let readOnly: { client_id: string; client_secret: string };

beforeAll(async () => {
  origin = await startTestOrigin();
  [client, readOnly] = await Promise.all([
    origin.newClient(['images:read', 'images:write']),
    origin.newClient(['images:read']),
  ]);
});
afterAll(() => origin?.close());

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = FORM) {
  return fetch(`${origin.api}/oauth/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form).toString(),
  });
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, joined by ':', then base64. */
function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

async function expectToken(res: Response, scope: string, sub: string): Promise<TokenBody> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const body = JSON.parse(text) as TokenBody;
  expect(body.token_type).toBe('Bearer');
  expect(body.expires_in).toBe(origin.config.jwt.ttlSeconds);
  expect(body.scope).toBe(scope);
  const header = decodeProtectedHeader(body.access_token);
  expect(header.alg).toBe('HS256');
  const claims = decodeJwt(body.access_token);
  expect(claims.sub).toBe(sub);
  expect(claims.iss).toBe(origin.config.jwt.issuer);
  expect(claims.aud).toBe(origin.config.jwt.audience);
  expect(claims.scope).toBe(scope);
  expect(typeof claims.iat).toBe('number');
  expect(claims.exp).toBe((claims.iat as number) + origin.config.jwt.ttlSeconds);
  const now = Math.floor(Date.now() / 1000);
  expect(Math.abs((claims.iat as number) - now)).toBeLessThan(300);
  return body;
}

describeDb('origin API: POST /oauth/token', () => {
  it('issues a JWT for credentials in the form body, and the token works on the API', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    const body = await expectToken(res, 'images:read images:write', client.client_id);
    const list = await fetch(`${origin.api}/images`, { headers: bearer(body.access_token) });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ items: [], next_cursor: null });
  });

  it('issues a JWT for credentials sent as HTTP Basic', async () => {
    const res = await tokenRequest(
      { grant_type: 'client_credentials' },
      { ...FORM, authorization: basic(client.client_id, client.client_secret) },
    );
    await expectToken(res, 'images:read images:write', client.client_id);
  });

  it('narrows the scope to what is requested, within what the client holds', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope: 'images:read',
    });
    await expectToken(res, 'images:read', client.client_id);
  });

  it('refuses a wrong secret with 401 invalid_client (form and Basic)', async () => {
    const form = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: `${client.client_secret}x`,
    });
    const problem = await expectProblem(form, 401, 'invalid_client');
    expect(problem.error).toBe('invalid_client');

    const viaBasic = await tokenRequest(
      { grant_type: 'client_credentials' },
      { ...FORM, authorization: basic(client.client_id, 'not-the-secret') },
    );
    // RFC 6749 §5.2: a client that authenticated with Basic gets a Basic challenge.
    expect(viaBasic.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectProblem(viaBasic, 401, 'invalid_client');
  });

  it('refuses an unknown client with 401 invalid_client', async () => {
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: 'cl_doesnotexist',
      client_secret: client.client_secret,
    });
    await expectProblem(res, 401, 'invalid_client');
  });

  it('refuses a revoked client with 401 invalid_client', async () => {
    const victim = await origin.newClient(['images:read']);
    const before = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: victim.client_id,
      client_secret: victim.client_secret,
    });
    expect(before.status).toBe(200);
    expect(await revokeClient(origin.db, victim.client_id)).toBe(true);
    const after = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: victim.client_id,
      client_secret: victim.client_secret,
    });
    await expectProblem(after, 401, 'invalid_client');
  });

  it('refuses another grant type with 400 unsupported_grant_type', async () => {
    for (const grant of ['password', 'authorization_code', 'CLIENT_CREDENTIALS']) {
      const res = await tokenRequest({
        grant_type: grant,
        client_id: client.client_id,
        client_secret: client.client_secret,
      });
      const problem = await expectProblem(res, 400, 'unsupported_grant_type');
      expect(problem.error).toBe('unsupported_grant_type');
    }
  });

  it('refuses a request without grant_type with 400 invalid_request', async () => {
    const res = await tokenRequest({ client_id: client.client_id, client_secret: client.client_secret });
    const problem = await expectProblem(res, 400, 'invalid_request');
    expect(problem.error).toBe('invalid_request');
  });

  it('refuses a request without credentials with 401 invalid_client', async () => {
    await expectProblem(await tokenRequest({ grant_type: 'client_credentials' }), 401, 'invalid_client');
    const noSecret = await tokenRequest({ grant_type: 'client_credentials', client_id: client.client_id });
    await expectProblem(noSecret, 401, 'invalid_client');
  });

  it('refuses a body that is not application/x-www-form-urlencoded with 400 invalid_request', async () => {
    const json = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }),
    });
    await expectProblem(json, 400, 'invalid_request');
    const none = await fetch(`${origin.api}/oauth/token`, { method: 'POST' });
    await expectProblem(none, 400, 'invalid_request');
  });

  it('refuses a scope the client does not hold with 400 and error invalid_scope', async () => {
    for (const scope of ['images:write', 'images:read images:write', 'admin']) {
      const res = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: readOnly.client_id,
        client_secret: readOnly.client_secret,
        scope,
      });
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.error).toBe('invalid_scope');
    }
  });

  it('refuses an oversized token request with 413 instead of reading it all', async () => {
    const padding = 'x'.repeat(200 * 1024);
    const res = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      padding,
    });
    await expectProblem(res, 413, 'payload_too_large');
    let sent = 0;
    const chunked = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 64 * 1024) return controller.close();
        controller.enqueue(new TextEncoder().encode(`${sent === 0 ? 'a=' : ''}${'y'.repeat(8192)}`));
        sent += 8192;
      },
    });
    const viaChunks = await fetch(`${origin.api}/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(viaChunks, 413, 'payload_too_large');
  });

  it('answers GET with a problem, never a token', async () => {
    const res = await fetch(`${origin.api}/oauth/token`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
