/**
 * POST /sign (scope images:write) — signs an image URL for its owner, so that browsers and apps
 * never hold SIGNING_KEY. The path is read by the edge's own parsers (shared/options: every form
 * the edge serves, any spelling), and the answer is the canonical signed path the edge verifies
 * (shared/signed-url.ts), optionally expiring. An uploaded image is signed only for its owner
 * (404 otherwise, as GET /images/:id); a remote image only under a source SOURCES configures.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ImgedgeError, payloadTooLarge } from '../../../shared/errors.js';
import {
  CLOUDFLARE_PREFIX,
  type CompiledPresets,
  EXPIRES_PARAM,
  type ImageRequest,
  parseCloudflareRequest,
  parseImageRequest,
  SIGNATURE_PARAM,
} from '../../../shared/options/index.js';
import { signRequestPath } from '../../../shared/signed-url.js';
import type { Sources } from '../../../shared/sources/index.js';
import type { Db } from '../../db/driver.js';
import { getImage } from '../../db/images.js';
import type { OriginEnv } from '../env.js';

export interface SignRouteDeps {
  db: Db;
  /** SIGNING_KEY (the edge's); undefined: signing is not configured and the route answers 503. */
  signingKey: string | undefined;
  /** PRESETS, as the edge has them. */
  presets: CompiledPresets;
  /** SOURCES. */
  sources: Sources;
  publicBaseUrl: string | undefined;
}

/** A sign request is a path and a number or two: 8 KiB is far beyond any real one. */
export const MAX_SIGN_REQUEST_BYTES = 8 * 1024;
/** The longest expiry a signed URL may get: one year. */
export const MAX_EXPIRES_IN = 31_536_000;

const body = z
  .object({
    path: z.string().min(1).max(4096),
    expires_in: z.number().int().min(1).max(MAX_EXPIRES_IN).optional(),
    expires_at: z.number().int().positive().optional(),
  })
  .strict()
  .refine((b) => b.expires_in === undefined || b.expires_at === undefined, {
    message: 'give expires_in or expires_at, not both',
  });

export interface SignResponse {
  /** PUBLIC_BASE_URL + path (root-relative when PUBLIC_BASE_URL is unset, as image records' url). */
  url: string;
  /** The canonical signed path: `/img/…?sig=…` (`?exp=…&sig=…` when it expires). */
  path: string;
  /** Unix seconds after which the edge refuses the URL; null: never. */
  expires: number | null;
  /** The canonical option string ('' for the defaults). */
  canonical: string;
}

export function signRoutes(deps: SignRouteDeps) {
  const app = new Hono<OriginEnv>();
  const limit = bodyLimit({
    maxSize: MAX_SIGN_REQUEST_BYTES,
    onError: () => {
      throw payloadTooLarge(MAX_SIGN_REQUEST_BYTES, 'The sign request body is too large');
    },
  });
  app.post('/sign', limit, async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      throw new ImgedgeError('unsupported_media_type', 'Send the sign request as application/json');
    }
    const input = readBody(await c.req.text());
    if (deps.signingKey === undefined) {
      throw new ImgedgeError('unavailable', 'URL signing is not configured here (SIGNING_KEY is unset)');
    }
    const request = parseTarget(input.path, deps);
    if (request.id !== undefined) {
      const row = await getImage(deps.db, request.id);
      if (!row || row.owner !== c.var.claims.sub) throw new ImgedgeError('not_found', 'No such image');
    }
    const now = Math.floor(Date.now() / 1000);
    const expires = expiryOf(input, now);
    const path = await signRequestPath(request, deps.signingKey, expires ?? undefined);
    const answer: SignResponse = {
      url: `${deps.publicBaseUrl ?? ''}${path}`,
      path,
      expires,
      canonical: request.canonical,
    };
    c.header('cache-control', 'no-store');
    return c.json(answer, 200);
  });
  return app;
}

function readBody(text: string): z.infer<typeof body> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ImgedgeError('invalid_request', 'The body is not valid JSON');
  }
  const parsed = body.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.');
    throw new ImgedgeError(
      'invalid_request',
      `${field === '' ? 'body' : field}: ${issue.message} (expected {"path": "/img/…", "expires_in"?: 1..${MAX_EXPIRES_IN}} or "expires_at" in unix seconds)`,
      { extra: field === '' ? {} : { field } },
    );
  }
  return parsed.data;
}

/**
 * The request an image path names, read as the edge reads it: `/img/…` (options in the path or
 * the query, aliases, presets, `@<source>/<path>`) or `/cdn-cgi/image/…`; a full URL's scheme and
 * host are ignored, and any old `sig` or `exp` is dropped (the URL is signed anew).
 */
function parseTarget(text: string, deps: SignRouteDeps): ImageRequest {
  let url: URL;
  try {
    url = new URL(text, 'http://localhost');
  } catch {
    throw notImagePath(text);
  }
  url.searchParams.delete(SIGNATURE_PARAM);
  url.searchParams.delete(EXPIRES_PARAM);
  if (url.pathname.startsWith(CLOUDFLARE_PREFIX)) {
    return parseCloudflareRequest(
      url.pathname.slice(CLOUDFLARE_PREFIX.length),
      url.searchParams,
      deps.sources,
    );
  }
  if (!url.pathname.startsWith('/img/')) throw notImagePath(text);
  return parseImageRequest(url.pathname.slice('/img'.length), url.searchParams, deps.presets, deps.sources);
}

function notImagePath(text: string): ImgedgeError {
  return new ImgedgeError(
    'invalid_request',
    `path must be an image path (/img/… or ${CLOUDFLARE_PREFIX}…), got ${JSON.stringify(text.slice(0, 200))}`,
    { extra: { field: 'path' } },
  );
}

/** The expiry in unix seconds (null: none); expires_at must lie within MAX_EXPIRES_IN from now. */
function expiryOf(input: z.infer<typeof body>, now: number): number | null {
  if (input.expires_in !== undefined) return now + input.expires_in;
  if (input.expires_at === undefined) return null;
  if (input.expires_at <= now || input.expires_at > now + MAX_EXPIRES_IN) {
    throw new ImgedgeError(
      'invalid_request',
      `expires_at must be in the future and at most ${MAX_EXPIRES_IN} seconds from now (unix seconds)`,
      { extra: { field: 'expires_at' } },
    );
  }
  return input.expires_at;
}
