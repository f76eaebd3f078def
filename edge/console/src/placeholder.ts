/**
 * A tile's stand-in while its thumbnail loads: the record's ThumbHash rendered with the `thumbhash`
 * package (thumbHashToDataURL, a small PNG data: URL), else its mean colour, else nothing.
 */
import { thumbHashToDataURL } from 'thumbhash';
import type { ImageRecord } from './api.js';

export function applyPlaceholder(el: HTMLElement, placeholder: ImageRecord['placeholder']): void {
  if (!placeholder) return;
  el.style.backgroundColor = placeholder.color;
  try {
    const bytes = Uint8Array.from(atob(placeholder.thumbhash), (c) => c.charCodeAt(0));
    el.style.backgroundImage = `url("${thumbHashToDataURL(bytes)}")`;
  } catch {
    // A damaged hash: the colour alone.
  }
}
