/**
 * POST /oauth/token — the OAuth 2.0 client-credentials grant (RFC 6749 §4.4). Credentials come as
 * HTTP Basic (preferred, §2.3.1) or in the form body. Errors are problem+json that also carry the
 * RFC 6749 §5.2 `error` member, so standard OAuth clients understand them.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ImgedgeError, payloadTooLarge } from '../../../shared/errors.js';
import { authenticateClient } from '../../auth/clients.js';
import type { TokenKeys } from '../../auth/keys.js';
import { issueAccessToken } from '../../auth/tokens.js';
import type { Db } from '../../db/driver.js';
import type { OriginEnv } from '../env.js';

export interface OAuthRouteDeps {
  db: Db;
  keys: TokenKeys;
  ttlSeconds: number;
}

const MAX_TOKEN_REQUEST_BYTES = 16 * 1024;

export function oauthRoutes(deps: OAuthRouteDeps) {
  const app = new Hono<OriginEnv>();
  // An unauthenticated endpoint: never read an unbounded body into memory.
  const limit = bodyLimit({
    maxSize: MAX_TOKEN_REQUEST_BYTES,
    onError: () => {
      throw payloadTooLarge(MAX_TOKEN_REQUEST_BYTES, 'The token request body is too large');
    },
  });
  app.post('/oauth/token', limit, async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      throw oauthError(
        'invalid_request',
        'invalid_request',
        'Send the token request as application/x-www-form-urlencoded',
      );
    }
    const form = new URLSearchParams(await c.req.text());
    const grant = form.get('grant_type');
    if (grant === null || grant === '') {
      // RFC 6749 §5.2: a missing required parameter is invalid_request, not an unsupported grant.
      throw oauthError('invalid_request', 'invalid_request', 'grant_type is required (client_credentials)');
    }
    if (grant !== 'client_credentials') {
      throw oauthError(
        'unsupported_grant_type',
        'unsupported_grant_type',
        'Only grant_type=client_credentials is supported',
      );
    }
    const basic = parseBasic(c.req.header('authorization'));
    const clientId = basic?.id ?? form.get('client_id');
    const clientSecret = basic?.secret ?? form.get('client_secret');
    if (!clientId || !clientSecret) {
      throw oauthError(
        'invalid_client',
        'invalid_client',
        'Client authentication is required',
        basic !== undefined,
      );
    }
    const client = await authenticateClient(deps.db, clientId, clientSecret);
    if (!client) throw oauthError('invalid_client', 'invalid_client', 'Client authentication failed', true);
    const requested = form.get('scope');
    let scopes = client.scopes;
    if (requested !== null && requested.trim() !== '') {
      const asked = requested.split(' ').filter(Boolean);
      const unknown = asked.filter((s) => !client.scopes.includes(s));
      if (unknown.length > 0) {
        // RFC 6749 §5.2 invalid_scope is a 400: a malformed request, not a forbidden resource.
        throw oauthError(
          'invalid_request',
          'invalid_scope',
          `The client may not request: ${unknown.join(' ')}`,
        );
      }
      scopes = asked;
    }
    const token = await issueAccessToken(deps.keys, client.id, scopes, deps.ttlSeconds);
    c.header('cache-control', 'no-store');
    c.header('pragma', 'no-cache');
    return c.json(token);
  });
  return app;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const formDecode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function oauthError(
  code: 'invalid_request' | 'unsupported_grant_type' | 'invalid_client',
  error: string,
  description: string,
  basicChallenge = false,
): ImgedgeError {
  return new ImgedgeError(code, description, {
    extra: { error, error_description: description },
    headers: basicChallenge ? { 'www-authenticate': 'Basic realm="imgedge"' } : {},
  });
}
