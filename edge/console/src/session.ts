/**
 * Sign-in: the client id and secret are exchanged once at the token endpoint (OAuth2 client
 * credentials, HTTP Basic); only the access token and its expiry are kept, in sessionStorage (this
 * tab only, gone when it closes). The secret is never stored. The session ends by itself when the
 * token expires, and at the first 401.
 */
import { API_PREFIX, problemOf } from './api.js';

const STORAGE_KEY = 'imgedge.console.session';

export interface Session {
  token: string;
  /** Unix ms. */
  expiresAt: number;
  /** The token's subject (the client id), for the header. */
  subject: string;
  scope: string;
}

interface TokenAnswer {
  access_token: string;
  expires_in: number;
  scope?: string;
}

export type SessionListener = (session: Session | undefined, reason?: string) => void;

export class SessionStore {
  private current: Session | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<SessionListener>();

  constructor(private readonly storage: Storage = sessionStorage) {
    this.current = this.load();
    if (this.current) this.armExpiry(this.current);
  }

  get session(): Session | undefined {
    return this.current;
  }

  token(): string | undefined {
    return this.current?.token;
  }

  onChange(listener: SessionListener): void {
    this.listeners.add(listener);
  }

  /** Exchanges the credentials; throws ApiError with the token endpoint's problem on refusal. */
  async signIn(clientId: string, clientSecret: string): Promise<Session> {
    const res = await fetch(`${API_PREFIX}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${basic(clientId, clientSecret)}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      cache: 'no-store',
      credentials: 'omit',
    });
    if (!res.ok) throw await problemOf(res);
    const answer = (await res.json()) as TokenAnswer;
    const session: Session = {
      token: answer.access_token,
      expiresAt: Date.now() + answer.expires_in * 1000,
      subject: subjectOf(answer.access_token) ?? clientId,
      scope: answer.scope ?? '',
    };
    this.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.current = session;
    this.armExpiry(session);
    this.emit();
    return session;
  }

  signOut(reason?: string): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.storage.removeItem(STORAGE_KEY);
    const had = this.current !== undefined;
    this.current = undefined;
    if (had) this.emit(reason);
  }

  private emit(reason?: string): void {
    for (const listener of this.listeners) listener(this.current, reason);
  }

  private armExpiry(session: Session): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    // setTimeout's limit is 2^31-1 ms (≈24.8 days); tokens live far shorter.
    const wait = Math.min(Math.max(0, session.expiresAt - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.signOut('Your session expired: sign in again.'), wait);
  }

  private load(): Session | undefined {
    try {
      const saved = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
      if (saved && typeof saved.token === 'string' && saved.expiresAt > Date.now()) return saved;
    } catch {
      // a damaged entry: start signed out
    }
    this.storage.removeItem(STORAGE_KEY);
    return undefined;
  }
}

/** RFC 6749 §2.3.1: each part form-urlencoded, then base64 of `id:secret`. */
function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const bytes = new TextEncoder().encode(`${enc(id)}:${enc(secret)}`);
  return btoa(String.fromCharCode(...bytes));
}

/** The JWT's `sub`, read (not verified: the edge verifies) for display only. */
function subjectOf(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
