/**
 * The API client: same-origin calls to /api/v1 through the edge with the session's bearer token.
 * Every failure is an ApiError carrying the problem+json answer (code, title, detail). A 401 means
 * the token is no longer accepted: the session listener signs the user out.
 */

export const API_PREFIX = '/api/v1';

/** The image record (origin/images/record.ts). */
export interface ImageRecord {
  id: string;
  sha256: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
  frames: number;
  has_alpha: boolean;
  placeholder: { thumbhash: string; color: string } | null;
  created_at: string;
  url: string;
}

export interface ImagePage {
  items: ImageRecord[];
  next_cursor: string | null;
}

/** POST /api/v1/sign (issue 14's contract). */
export interface SignedUrl {
  url: string;
  path: string;
  expires: number | null;
  canonical: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(describeProblem(status, problem));
    this.name = 'ApiError';
  }

  get code(): string | undefined {
    return this.problem.code;
  }
}

/** One line for people: `Unsupported media type: <detail> (unsupported_media_type)`. */
export function describeProblem(status: number, problem: Problem): string {
  const title = problem.title ?? `HTTP ${status}`;
  const detail = problem.detail && problem.detail !== title ? `: ${problem.detail}` : '';
  const code = problem.code ? ` (${problem.code})` : '';
  return `${title}${detail}${code}`;
}

/** The problem+json of a failed answer (or what can be said about a body that is not one). */
export async function problemOf(res: Response): Promise<ApiError> {
  return new ApiError(res.status, parseProblem(res.status, await res.text().catch(() => '')));
}

export function parseProblem(status: number, text: string): Problem {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') return body as Problem;
  } catch {
    // not JSON: fall through
  }
  return { status, title: `HTTP ${status}`, detail: text.slice(0, 200) || undefined };
}

export class Api {
  constructor(
    private readonly token: () => string | undefined,
    /** Called when the API answers 401 (expired or revoked token). */
    private readonly onUnauthorized: () => void,
  ) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = this.token();
    if (token) headers.set('authorization', `Bearer ${token}`);
    const res = await fetch(`${API_PREFIX}${path}`, { ...init, headers, cache: 'no-store' });
    if (res.status === 401) this.onUnauthorized();
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  async listImages(cursor: string | null, limit = 24): Promise<ImagePage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    return (await this.fetch(`/images?${query}`)).json() as Promise<ImagePage>;
  }

  async deleteImage(id: string): Promise<void> {
    await this.fetch(`/images/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** A signed URL for `path` (`/img/<options>/<id>`), made by the edge: the key never leaves it. */
  async sign(path: string, expiresIn?: number): Promise<SignedUrl> {
    const res = await this.fetch('/sign', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(expiresIn === undefined ? { path } : { path, expires_in: expiresIn }),
    });
    return (await res.json()) as SignedUrl;
  }

  /** The bearer token, for the upload's XMLHttpRequest (the one call fetch cannot report progress of). */
  bearer(): string | undefined {
    return this.token();
  }

  unauthorized(): void {
    this.onUnauthorized();
  }
}
