/**
 * The web console (issue 14) in a real browser: Chromium (playwright-core) against the stack
 * `npm start` runs (origin + wrangler dev, the default SIGNED_URLS=presets-free), the console served
 * by the worker at /console/ with its CSP enforced. One walk through the whole path, an axe-core
 * check, and screenshots of the grid and the builder at 1280 and 360 px under test/.output/console/.
 *
 * The builder's previews of arbitrary options and the signed-URL copy use POST /api/v1/sign (its own
 * helper's work); until that endpoint is merged, those steps fail with its 404.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import { ROOT, type Stack, startStack } from '../../scripts/stack.js';
import { type Browser, CHROMIUM_HINT, HAVE_CHROMIUM, launchChromium } from '../support/browser.js';
import { photoJpeg } from '../support/images.js';
import { clientToken } from '../support/oauth.js';

const OUTPUT = join(ROOT, 'test/.output/console');
const AXE_SOURCE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function stackEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    API_PORT: String(await freePort()),
    EDGE_PORT: String(await freePort()),
  };
  if (process.env.TEST_DATABASE_URL && process.env.IMGEDGE_TEST_DB !== 'pglite') {
    env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  }
  return env;
}

/** axe-core in the page (through DevTools, so the page's CSP does not apply to it). */
async function seriousViolations(page: Page, context: string): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (selector) => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(ctx: unknown): Promise<{
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(selector);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, context);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
}

async function screenshots(page: Page, name: string): Promise<void> {
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
    // The builder is a modal <dialog> that scrolls by itself: show its top (the preview).
    await page.evaluate(() => {
      for (const el of document.querySelectorAll('dialog')) el.scrollTop = 0;
    });
    // Let the layout settle (no timers: wait for two frames).
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(OUTPUT, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function signIn(page: Page, stack: Stack): Promise<void> {
  await page.getByLabel('Client id').fill(stack.client.client_id);
  await page.getByLabel('Client secret').fill(stack.client.client_secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session-who').getByText(`Signed in as ${stack.client.client_id}`).waitFor();
}

describe.skipIf(!HAVE_CHROMIUM)(
  `web console in Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM_HINT})`}`,
  () => {
    let stack: Stack;
    let dataDir: string;
    let browser: Browser;

    beforeAll(async () => {
      await mkdir(OUTPUT, { recursive: true });
      dataDir = await mkdtemp(join(tmpdir(), 'imgedge-console-'));
      stack = await startStack({ dataDir, env: await stackEnv(), useDotEnv: false, logs: 'silent' });
      browser = await launchChromium();
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('is served by the worker at /console with a strict CSP, and the API routes still work', async () => {
      const redirect = await fetch(`${stack.edgeUrl}/console`, { redirect: 'manual' });
      expect(redirect.status).toBe(307);
      expect(redirect.headers.get('location')).toBe('/console/');
      const page = await fetch(`${stack.edgeUrl}/console/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      const html = await page.text();
      // No inline script, nothing from another host.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect((await fetch(`${stack.edgeUrl}/console/app.js`)).headers.get('content-type')).toMatch(
        /javascript/,
      );
      // The worker's own routes are untouched by the assets.
      expect((await fetch(`${stack.edgeUrl}/health`)).status).toBe(200);
      const missing = await fetch(`${stack.edgeUrl}/console/nothing-here`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toBe('application/problem+json');
    });

    it('sign in → upload → browse → build → copy a signed URL → delete', async () => {
      const page = await browser.context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
      });
      const failures: string[] = [];
      page.on('pageerror', (err) => failures.push(String(err)));

      await page.goto(`${stack.edgeUrl}/console`);
      await expect.poll(() => page.url()).toBe(`${stack.edgeUrl}/console/`);

      // Sign in: the secret is exchanged, never stored.
      const { client_id, client_secret } = stack.client;
      await page.getByLabel('Client id').fill(client_id);
      await page.getByLabel('Client secret').fill(client_secret);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#session-who').getByText(`Signed in as ${client_id}`).waitFor();
      const stored = await page.evaluate(
        () => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }),
      );
      expect(stored).not.toContain(client_secret);
      expect(stored).toContain('token');
      expect(await page.getByLabel('Client secret').inputValue()).toBe('');

      // Upload two images and one refused file.
      const jpeg = await photoJpeg(1024, 768, 11);
      const png = await sharp(await photoJpeg(640, 480, 12))
        .png()
        .toBuffer();
      await page.locator('#upload-input').setInputFiles([
        { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: jpeg },
        { name: 'graphic.png', mimeType: 'image/png', buffer: png },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image at all\n') },
      ]);
      const rows = page.locator('#upload-list li[data-outcome]');
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
      for (const name of ['photo.jpg', 'graphic.png']) {
        const row = page.locator('#upload-list li', { hasText: name });
        expect(await row.getAttribute('data-outcome')).toBe('created');
        const bar = row.locator('progress');
        const [value, max] = await bar.evaluate((p: HTMLProgressElement) => [p.value, p.max]);
        expect(max).toBeGreaterThan(name === 'photo.jpg' ? jpeg.length : png.length);
        expect(value).toBe(max);
        expect(await row.locator('.upload-result').textContent()).toBe('created');
      }
      const refused = page.locator('#upload-list li', { hasText: 'notes.txt' });
      expect(await refused.getAttribute('data-outcome')).toBe('refused');
      expect(await refused.locator('.upload-result').textContent()).toMatch(/unsupported_media_type/);

      // Browse: both images in the grid, newest first, each tile square before its image loads.
      const tiles = page.locator('#grid > li');
      await expect.poll(() => tiles.count()).toBe(2);
      await page
        .locator('#grid img')
        .evaluateAll((imgs) => Promise.all(imgs.map((img) => (img as HTMLImageElement).decode())));
      for (const size of await page
        .locator('#grid img')
        .evaluateAll((imgs) =>
          imgs.map((i) => [
            (i as HTMLImageElement).getAttribute('width'),
            (i as HTMLImageElement).naturalWidth,
          ]),
        )) {
        expect(size).toEqual(['200', 200]);
      }
      // The record's placeholder is painted under each tile.
      expect(
        await page
          .locator('.tile-frame')
          .first()
          .evaluate((el) => getComputedStyle(el).backgroundImage),
      ).toMatch(/^url\("data:image\/png;base64,/);
      expect(await seriousViolations(page, 'body')).toEqual([]);
      await screenshots(page, 'grid');

      // Open the photo (uploaded first, so second in the grid: newest first).
      const photoTile = tiles.nth(1);
      const id = (await photoTile.getAttribute('data-id'))!;
      await photoTile.getByRole('button').click();
      const dialog = page.getByRole('dialog', { name: `Image ${id}` });
      await dialog.waitFor();
      const preview = page.locator('#preview');
      await expect.poll(() => preview.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
      expect(await preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1024);

      // Every row of the option table has a labelled control.
      const { OPTION_SPECS } = await import('../../shared/options/spec.js');
      for (const spec of OPTION_SPECS) {
        expect(await page.locator(`[data-option="${spec.key}"]`).count(), spec.key).toBe(1);
        const label = await page
          .locator(`[data-option="${spec.key}"]`)
          .evaluate((el) => (el as HTMLInputElement).labels?.[0]?.textContent ?? '');
        expect(label.startsWith(spec.key)).toBe(true);
      }

      // Move the width control: a new variant (MISS, transformed), then the same again (HIT).
      await page.getByLabel('w (width)').fill('300');
      // Settled: shown, or refused (w=300 needs a signature under presets-free: POST /api/v1/sign).
      await expect
        .poll(
          () =>
            preview.evaluate(
              (img: HTMLImageElement, path) =>
                img.dataset.state === 'error' || (img.dataset.state === 'ready' && img.dataset.path === path),
              `/img/w=300/${id}`,
            ),
          { timeout: 30_000 },
        )
        .toBe(true);
      expect(await page.locator('#builder-error').textContent(), 'the preview of w=300').toBe('');
      expect(await preview.getAttribute('data-path')).toBe(`/img/w=300/${id}`);
      expect(await preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(300);
      expect(await page.locator('#fact-cache').textContent()).toBe('MISS');
      expect(await page.locator('#fact-size').textContent()).toBe('300×225');
      expect(await page.locator('#fact-format').textContent()).toBe('image/avif');
      expect(await page.locator('#fact-transform').textContent()).toMatch(/^\d+(\.\d+)? ms$/);
      await page.getByRole('button', { name: 'Fetch again' }).click();
      await expect.poll(() => page.locator('#fact-cache').textContent(), { timeout: 30_000 }).toBe('HIT');

      // The comparison strip: AVIF, WebP and JPEG with their bytes.
      const captions = page.locator('#compare figcaption');
      await expect
        .poll(() => captions.allTextContents(), { timeout: 60_000 })
        .toEqual([
          expect.stringMatching(/^AVIF: [\d.]+ k?B$/),
          expect.stringMatching(/^WEBP: [\d.]+ k?B$/),
          expect.stringMatching(/^JPEG: [\d.]+ k?B$/),
        ]);

      // Copy buttons: the URL, an <img srcset> snippet, and a signed URL (fetched: 200).
      const copied = page.getByLabel('Last copied');
      await page.getByRole('button', { name: 'Copy URL' }).click();
      await expect.poll(() => copied.inputValue()).toBe(`${stack.edgeUrl}/img/w=300/${id}`);
      await page.getByRole('button', { name: 'Copy <img srcset>' }).click();
      await expect
        .poll(() => copied.inputValue(), { timeout: 30_000 })
        .toMatch(/^<img src="[^"]+"\n {2}srcset="[^"]+ 320w, [^"]+ 640w, [^"]+ 960w, [^"]+ 1024w"/);
      await page.getByLabel('Signed URL expires').selectOption('3600');
      await page.getByRole('button', { name: 'Copy signed URL' }).click();
      await expect
        .poll(async () => [await copied.inputValue(), await page.locator('#copy-status').textContent()], {
          timeout: 30_000,
        })
        .toEqual([expect.stringMatching(/^http.*\/img\/w=300\/.*sig=/), expect.stringMatching(/signed URL/)]);
      const signedUrl = await copied.inputValue();
      const signed = await fetch(signedUrl);
      expect(signed.status).toBe(200);
      expect(signed.headers.get('content-type')).toMatch(/^image\//);
      await signed.arrayBuffer();

      expect(await seriousViolations(page, '#builder')).toEqual([]);
      await screenshots(page, 'builder');

      // Delete, confirmed: the tile goes, the URLs answer 404.
      page.once('dialog', (confirmation) => void confirmation.accept());
      await page.getByRole('button', { name: 'Delete image…' }).click();
      await expect.poll(() => page.locator(`#grid > li[data-id="${id}"]`).count()).toBe(0);
      expect(await tiles.count()).toBe(1);
      expect((await fetch(signedUrl)).status).toBe(404);
      expect((await fetch(`${stack.edgeUrl}/img/thumb/${id}`)).status).toBe(404);

      expect(cspViolations).toEqual([]);
      expect(failures).toEqual([]);
      await page.close();
    }, 180_000);

    it('pages through the cursor on scroll, is keyboard usable, and signs out when the token is refused', async () => {
      // More images than one page (24), uploaded through the API: the grid lists them newest first.
      const token = await clientToken(`${stack.edgeUrl}/api/v1`, stack.client);
      // What the other test left (one image when it passed; more when it stopped half-way).
      const before = await fetch(`${stack.edgeUrl}/api/v1/images?limit=100`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const earlier = ((await before.json()) as { items: unknown[] }).items.length;
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const png = await sharp({
          create: { width: 8, height: 6, channels: 3, background: { r: i * 8, g: 255 - i * 8, b: 90 } },
        })
          .png()
          .toBuffer();
        const res = await fetch(`${stack.edgeUrl}/api/v1/images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
          body: new Uint8Array(png),
        });
        expect(res.status).toBe(201);
        ids.push(((await res.json()) as { id: string }).id);
      }
      const page = await browser.context.newPage();
      // Short enough that "Load more" starts below the fold.
      await page.setViewportSize({ width: 1280, height: 600 });
      await page.goto(`${stack.edgeUrl}/console/`);
      await signIn(page, stack);
      const tiles = page.locator('#grid > li');
      await expect.poll(() => tiles.count()).toBe(24);
      const shown = () => tiles.evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id));
      // Newest first (the other test's images are older than these 30).
      expect(await shown()).toEqual([...ids].reverse().slice(0, 24));
      await page.locator('#grid-more').scrollIntoViewIfNeeded();
      await expect.poll(() => tiles.count()).toBe(30 + earlier);
      expect((await shown()).slice(0, 30)).toEqual([...ids].reverse());
      expect(await page.locator('#grid-more').isHidden()).toBe(true);

      // Keyboard: Tab from the file input reaches the newest tile, with a visible focus ring; Enter
      // opens the builder with the focus inside it; Escape closes it.
      await page.locator('#upload-input').focus();
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        return { tile: el.closest('li')?.dataset.id, outline: getComputedStyle(el).outlineStyle };
      });
      expect(focused).toEqual({ tile: ids.at(-1), outline: 'solid' });
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor();
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
      await page.keyboard.press('Escape');
      await expect
        .poll(() => page.locator('#builder').evaluate((d: HTMLDialogElement) => d.open))
        .toBe(false);

      // A token the API refuses (revoked, or a restarted stack's new key): back to sign-in, told why.
      await page.evaluate(() => {
        const key = 'imgedge.console.session';
        const saved = JSON.parse(sessionStorage.getItem(key)!) as { token: string };
        sessionStorage.setItem(key, JSON.stringify({ ...saved, token: `${saved.token}x` }));
      });
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.locator('#sign-in-error').textContent()).toMatch(/sign in again/);
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await page.close();
    }, 120_000);
  },
);
