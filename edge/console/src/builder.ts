/**
 * Build a URL for one image: the option controls (generated from the table), a live preview with
 * the facts of what was served, the same variant as AVIF, WebP and JPEG, copy buttons (URL, signed
 * URL, `<img srcset sizes>`), and delete. Shown in a modal <dialog> (focus stays inside; Esc closes).
 */
import { imagePath } from '../../../shared/client/urls.js';
import { parseOptions } from '../../../shared/options/parse.js';
import type { ImageOptions } from '../../../shared/options/types.js';
import type { Api, ImageRecord } from './api.js';
import { type OptionControl, optionControls } from './controls.js';
import { byId, formatBytes, h } from './dom.js';
import { imgSnippet } from './snippet.js';
import { type VariantFacts, VariantFetcher } from './variant.js';

const COMPARED_FORMATS = ['avif', 'webp', 'jpeg'] as const;
const DEBOUNCE_MS = 250;

export class Builder {
  private readonly dialog = byId<HTMLDialogElement>('builder');
  private readonly form = byId<HTMLFormElement>('builder-form');
  private readonly preview = byId<HTMLImageElement>('preview');
  private readonly frame = byId('preview-frame');
  private readonly error = byId('builder-error');
  private readonly compare = byId<HTMLUListElement>('compare');
  private readonly copied = byId<HTMLTextAreaElement>('copied');
  private readonly copyStatus = byId('copy-status');
  private readonly expires = byId<HTMLSelectElement>('signed-expires');
  private readonly controls: OptionControl[];
  private readonly fetcher: VariantFetcher;
  private record: ImageRecord | undefined;
  private options: ImageOptions = {};
  private inflight: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private objectUrls: string[] = [];

  constructor(
    private readonly api: Api,
    private readonly onDeleted: (id: string) => void,
  ) {
    this.fetcher = new VariantFetcher(api);
    this.controls = optionControls();
    byId('builder-options').append(...this.controls.map((c) => c.element));
    this.form.addEventListener('input', () => this.schedule());
    this.form.addEventListener('change', () => this.schedule());
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.update();
    });
    byId('builder-reset').addEventListener('click', () => {
      for (const control of this.controls) control.reset();
      void this.update();
    });
    byId('preview-reload').addEventListener('click', () => void this.update());
    byId('builder-close').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => this.cleanup());
    byId('copy-url').addEventListener(
      'click',
      () => void this.copy('URL', async () => this.absolute(this.path())),
    );
    byId('copy-signed').addEventListener('click', () => void this.copy('signed URL', () => this.signedUrl()));
    byId('copy-snippet').addEventListener(
      'click',
      () => void this.copy('<img> snippet', () => this.snippet()),
    );
    byId('delete-image').addEventListener('click', () => void this.delete());
  }

  open(record: ImageRecord): void {
    this.record = record;
    byId('builder-title').textContent = `Image ${record.id}`;
    byId('builder-original').textContent =
      `Original: ${record.width}×${record.height} ${record.format}, ${formatBytes(record.bytes)}, uploaded ${new Date(record.created_at).toLocaleString()}`;
    // The frame keeps the original's shape while a variant loads: no layout shift.
    this.frame.style.aspectRatio = `${record.width} / ${record.height}`;
    for (const control of this.controls) control.reset();
    this.copied.value = '';
    this.copyStatus.textContent = '';
    this.dialog.showModal();
    void this.update();
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), DEBOUNCE_MS);
  }

  /** The options the controls say, validated by the shared parser (its message when invalid). */
  private readOptions(): ImageOptions {
    const entries: [string, string][] = [];
    for (const control of this.controls) {
      const text = control.read();
      if (text !== undefined) entries.push([control.key, text]);
    }
    return parseOptions(entries);
  }

  private path(options: ImageOptions = this.options): string {
    return imagePath(this.record!.id, options);
  }

  private absolute(path: string): string {
    return new URL(path, location.origin).href;
  }

  private async update(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (!this.record) return;
    this.inflight?.abort();
    const inflight = new AbortController();
    this.inflight = inflight;
    try {
      this.options = this.readOptions();
    } catch (err) {
      this.showError((err as Error).message);
      return;
    }
    const path = this.path();
    byId('builder-path').textContent = path;
    this.preview.dataset.state = 'loading';
    this.error.textContent = '';
    try {
      const variant = await this.fetcher.fetch(path, inflight.signal);
      const url = this.track(URL.createObjectURL(variant.blob));
      this.preview.src = url;
      await this.preview.decode();
      if (inflight.signal.aborted) return;
      this.showFacts(variant.facts, this.preview.naturalWidth, this.preview.naturalHeight);
      this.preview.dataset.path = path;
      this.preview.dataset.state = 'ready';
      void this.compareFormats(inflight.signal);
    } catch (err) {
      if (inflight.signal.aborted) return;
      this.showError((err as Error).message || 'The preview could not be shown');
    }
  }

  private showError(message: string): void {
    this.preview.dataset.state = 'error';
    this.error.textContent = message;
  }

  private showFacts(facts: VariantFacts, width: number, height: number): void {
    byId('fact-format').textContent = facts.contentType;
    byId('fact-size').textContent = `${width}×${height}`;
    byId('fact-bytes').textContent = `${formatBytes(facts.bytes)} (${facts.bytes} B)`;
    byId('fact-cache').textContent = facts.xCache || '—';
    byId('fact-transform').textContent =
      facts.transformMs === undefined ? '— (not transformed for this answer)' : `${facts.transformMs} ms`;
    byId('fact-url').textContent = facts.url;
  }

  private async compareFormats(signal: AbortSignal): Promise<void> {
    const options = this.options;
    const cells = COMPARED_FORMATS.map((format) => {
      const caption = h('figcaption', {}, `${format.toUpperCase()}: loading…`);
      const img = h('img', { alt: `${format.toUpperCase()} variant`, width: 120, height: 120 });
      const frame = h('span', { class: 'compare-frame' }, img);
      frame.style.aspectRatio = this.frame.style.aspectRatio;
      return {
        format,
        caption,
        img,
        li: h('li', { 'data-format': format }, h('figure', {}, frame, caption)),
      };
    });
    this.compare.replaceChildren(...cells.map((c) => c.li));
    await Promise.all(
      cells.map(async ({ format, caption, img }) => {
        try {
          const variant = await this.fetcher.fetch(this.path({ ...options, f: format }), signal);
          img.src = this.track(URL.createObjectURL(variant.blob));
          caption.textContent = `${format.toUpperCase()}: ${formatBytes(variant.facts.bytes)}`;
        } catch (err) {
          if (!signal.aborted) caption.textContent = `${format.toUpperCase()}: ${(err as Error).message}`;
        }
      }),
    );
  }

  private async signedUrl(): Promise<string> {
    const value = this.expires.value;
    const signed = await this.api.sign(this.path(), value === '' ? undefined : Number(value));
    return signed.url;
  }

  private async snippet(): Promise<string> {
    const record = this.record!;
    const width = this.preview.naturalWidth || record.width;
    const height = this.preview.naturalHeight || record.height;
    return imgSnippet(record.id, this.options, { originalWidth: record.width, width, height }, async (path) =>
      this.absolute(await this.fetcher.requestPath(path)),
    );
  }

  private async copy(what: string, make: () => Promise<string>): Promise<void> {
    this.copyStatus.textContent = `Making the ${what}…`;
    try {
      const text = await make();
      this.copied.value = text;
      this.copied.dataset.kind = what;
      try {
        await navigator.clipboard.writeText(text);
        this.copyStatus.textContent = `Copied the ${what}.`;
      } catch {
        this.copied.select();
        this.copyStatus.textContent = `The ${what} is selected below: copy it with Ctrl+C.`;
      }
    } catch (err) {
      this.copied.value = '';
      this.copyStatus.textContent = `Could not make the ${what}: ${(err as Error).message}`;
    }
  }

  private async delete(): Promise<void> {
    const record = this.record;
    if (!record) return;
    if (!confirm(`Delete image ${record.id}? Its URLs and cached variants go; this cannot be undone.`))
      return;
    try {
      await this.api.deleteImage(record.id);
      this.dialog.close();
      this.onDeleted(record.id);
    } catch (err) {
      this.showError(`Could not delete: ${(err as Error).message}`);
    }
  }

  private track(url: string): string {
    this.objectUrls.push(url);
    // Keep the last few (the preview and its comparison strip) alive.
    while (this.objectUrls.length > 12) URL.revokeObjectURL(this.objectUrls.shift()!);
    return url;
  }

  private cleanup(): void {
    this.inflight?.abort();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.record = undefined;
    this.preview.removeAttribute('src');
    this.preview.dataset.state = '';
    this.compare.replaceChildren();
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls = [];
  }
}
