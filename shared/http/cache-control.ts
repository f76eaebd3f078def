/** `Cache-Control` of an image variant: its URL names its content, so it never changes. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
