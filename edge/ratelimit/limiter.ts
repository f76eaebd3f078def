/** What the edge needs from a rate limiter: one call per request, keyed by client. */
export interface LimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix time in ms when the window resets. */
  reset: number;
}

export interface Limiter {
  limit(key: string): Promise<LimitResult>;
}
