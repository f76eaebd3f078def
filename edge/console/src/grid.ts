/**
 * Browse: the caller's images, newest first, one page per API cursor; the next page loads when the
 * "Load more" button scrolls into view (or is pressed). Each tile is the `thumb` preset (a square,
 * so the tile's size is known before the image arrives: no layout shift) over the record's
 * placeholder.
 */
import type { Api, ImageRecord } from './api.js';
import { byId, h } from './dom.js';
import { applyPlaceholder } from './placeholder.js';

/** The preset tiles show (presets need no signature under SIGNED_URLS=presets-free). */
export const TILE_PRESET = 'thumb';
const TILE_SIZE = 200;

export class Grid {
  private readonly list = byId<HTMLUListElement>('grid');
  private readonly more = byId<HTMLButtonElement>('grid-more');
  private readonly status = byId('grid-status');
  private cursor: string | null = null;
  private done = false;
  private loading = false;
  private readonly observer: IntersectionObserver;

  constructor(
    private readonly api: Api,
    private readonly onOpen: (record: ImageRecord) => void,
  ) {
    this.more.addEventListener('click', () => void this.loadMore());
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void this.loadMore();
    });
    this.observer.observe(this.more);
  }

  /** Empties the grid and loads the first page. */
  async reset(): Promise<void> {
    this.list.replaceChildren();
    this.cursor = null;
    this.done = false;
    await this.loadMore();
  }

  async loadMore(): Promise<void> {
    if (this.loading || this.done) return;
    this.loading = true;
    this.more.disabled = true;
    this.status.textContent = 'Loading images…';
    try {
      const page = await this.api.listImages(this.cursor);
      for (const record of page.items) {
        if (!this.tileOf(record.id)) this.list.append(this.tile(record));
      }
      this.cursor = page.next_cursor;
      this.done = page.next_cursor === null;
      const count = this.list.children.length;
      this.status.textContent =
        count === 0
          ? 'No images yet: upload some above.'
          : `${count} image${count === 1 ? '' : 's'}${this.done ? '' : ' (more below)'}`;
    } catch (err) {
      this.status.textContent = `Could not list images: ${(err as Error).message}`;
    } finally {
      this.loading = false;
      this.more.disabled = this.done;
      this.more.hidden = this.done;
    }
    // Still in view after this page (a tall screen): keep going.
    if (!this.done && this.inView()) void this.loadMore();
  }

  /** A new upload goes first (newest first). */
  prepend(record: ImageRecord): void {
    if (this.tileOf(record.id)) return;
    this.list.prepend(this.tile(record));
    this.status.textContent = `${this.list.children.length} images`;
  }

  remove(id: string): void {
    this.tileOf(id)?.remove();
  }

  tileOf(id: string): HTMLLIElement | undefined {
    return [...this.list.children].find((li) => (li as HTMLElement).dataset.id === id) as
      | HTMLLIElement
      | undefined;
  }

  private tile(record: ImageRecord): HTMLLIElement {
    const img = h('img', {
      src: `/img/${TILE_PRESET}/${record.id}`,
      alt: `Image ${record.id}`,
      width: TILE_SIZE,
      height: TILE_SIZE,
      loading: 'lazy',
      decoding: 'async',
    });
    const frame = h('span', { class: 'tile-frame' }, img);
    applyPlaceholder(frame, record.placeholder);
    img.addEventListener('load', () => frame.classList.add('loaded'), { once: true });
    const button = h(
      'button',
      {
        type: 'button',
        class: 'tile',
        'aria-label': `Open image ${record.id}, ${record.width}×${record.height} ${record.format}`,
      },
      frame,
      h('span', { class: 'tile-caption' }, `${record.width}×${record.height} ${record.format}`),
    );
    button.addEventListener('click', () => this.onOpen(record));
    return h('li', { 'data-id': record.id }, button);
  }

  private inView(): boolean {
    const rect = this.more.getBoundingClientRect();
    return rect.top < window.innerHeight && rect.bottom > 0;
  }
}
