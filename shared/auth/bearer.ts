import { ImgedgeError } from '../errors.js';

const REALM = 'imgedge';

/** 401 for a request that carries no usable credentials (RFC 6750 §3: no error code then). */
export function missingTokenError(): ImgedgeError {
  return new ImgedgeError('invalid_token', 'An access token is required (Authorization: Bearer <token>)', {
    headers: { 'www-authenticate': `Bearer realm="${REALM}"` },
  });
}

/** 401 for a token that is malformed, expired, or not signed by us. */
export function invalidTokenError(description: string, cause?: unknown): ImgedgeError {
  const safe = description.replaceAll('"', "'");
  return new ImgedgeError('invalid_token', description, {
    headers: {
      'www-authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${safe}"`,
    },
    cause,
  });
}

/** 403 for a valid token that lacks the scope the route needs. */
export function insufficientScopeError(scope: string): ImgedgeError {
  return new ImgedgeError('insufficient_scope', `This request needs the scope "${scope}"`, {
    headers: { 'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"` },
    extra: { scope },
  });
}

/** The token of an `Authorization: Bearer <token>` header; throws a 401 when absent or malformed. */
export function bearerToken(authorization: string | null | undefined): string {
  if (!authorization) throw missingTokenError();
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw invalidTokenError('The Authorization header is not a Bearer token');
  return match[1];
}
