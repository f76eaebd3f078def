/**
 * Fetching a variant the way the page shows it: same-origin fetch (so X-Cache and Server-Timing are
 * readable), never from the browser's HTTP cache (each fetch shows what the edge did), with the
 * Accept an <img> sends (so f=auto negotiates as for an image). Under SIGNED_URLS=presets-free or
 * required an arbitrary variant needs a signature: the first 403 `invalid_signature` switches this
 * session to signed fetches, each path signed once by POST /api/v1/sign (the key stays at the edge).
 */
import { type Api, problemOf } from './api.js';

const IMAGE_ACCEPT = 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8';

export interface VariantFacts {
  /** The URL fetched (signed when it had to be). */
  url: string;
  contentType: string;
  bytes: number;
  xCache: string;
  /** The origin's transform time (Server-Timing `transform;dur=`), when it transformed. */
  transformMs: number | undefined;
  serverTiming: string;
}

export interface Variant {
  blob: Blob;
  facts: VariantFacts;
}

export class VariantFetcher {
  /** undefined until the edge has said whether unsigned variants are served. */
  private signingRequired: boolean | undefined;
  private readonly signed = new Map<string, string>();

  constructor(private readonly api: Api) {}

  /** The path to request for a canonical path: itself, or its signed form. */
  async requestPath(path: string): Promise<string> {
    if (!this.signingRequired) return path;
    let signed = this.signed.get(path);
    if (signed === undefined) {
      signed = (await this.api.sign(path)).path;
      this.signed.set(path, signed);
    }
    return signed;
  }

  async fetch(path: string, signal?: AbortSignal): Promise<Variant> {
    let res = await this.get(await this.requestPath(path), signal);
    if (res.status === 403 && !this.signingRequired) {
      const refusal = await problemOf(res.clone());
      if (refusal.code === 'invalid_signature') {
        this.signingRequired = true;
        res = await this.get(await this.requestPath(path), signal);
      }
    }
    if (!res.ok) throw await problemOf(res);
    const blob = await res.blob();
    const serverTiming = res.headers.get('server-timing') ?? '';
    return {
      blob,
      facts: {
        url: new URL(res.url).pathname + new URL(res.url).search,
        contentType: res.headers.get('content-type') ?? blob.type,
        bytes: blob.size,
        xCache: res.headers.get('x-cache') ?? '',
        transformMs: transformDuration(serverTiming),
        serverTiming,
      },
    };
  }

  private get(path: string, signal?: AbortSignal): Promise<Response> {
    return fetch(path, { headers: { accept: IMAGE_ACCEPT }, cache: 'no-store', signal: signal ?? null });
  }
}

/** `cache;desc=miss, transform;dur=12.3, total;dur=15` → 12.3. */
export function transformDuration(serverTiming: string): number | undefined {
  for (const metric of serverTiming.split(',')) {
    const [name, ...params] = metric.trim().split(';');
    if (name?.trim() !== 'transform') continue;
    for (const param of params) {
      const [key, value] = param.trim().split('=');
      if (key === 'dur' && value !== undefined && Number.isFinite(Number(value))) return Number(value);
    }
  }
  return undefined;
}
