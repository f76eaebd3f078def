/**
 * The builder's controls come from the option table: every row gets a labelled control, and a
 * value kind the console does not know (rows other helpers add: `int-tuple`, `name`, …) gets a
 * plain text input instead of breaking the page. Run in Chromium on the real module (bundled by
 * esbuild, as the console is), without the stack.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/stack.js';
import { OPTION_SPECS } from '../../shared/options/spec.js';
import { type Browser, CHROMIUM_HINT, HAVE_CHROMIUM, launchChromium } from '../support/browser.js';

/** controls.ts as a script that sets `window.optionControls`. */
async function controlsScript(): Promise<string> {
  const out = await build({
    stdin: {
      contents:
        "import { optionControls } from './controls.js'; (globalThis as any).optionControls = optionControls;",
      resolveDir: join(ROOT, 'edge/console/src'),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
  });
  return out.outputFiles[0]!.text;
}

interface Seen {
  key: string;
  tag: string;
  type: string | null;
  label: string;
  read: string | null;
  placeholder: string | null;
  hint: string;
}

/** Renders the controls of `rows` (undefined: the real OPTION_SPECS) and sets `values` on them. */
function render(page: Page, rows: unknown[] | undefined, values: Record<string, string>): Promise<Seen[]> {
  return page.evaluate(
    ({ rows, values }) => {
      type Control = { key: string; element: HTMLElement; read(): string | undefined };
      const make = (globalThis as unknown as { optionControls(specs?: unknown[]): Control[] }).optionControls;
      const controls = make(rows);
      document.body.replaceChildren(...controls.map((c) => c.element));
      return controls.map((c) => {
        const field = c.element.querySelector<HTMLInputElement | HTMLSelectElement>('[data-option]')!;
        if (values[c.key] !== undefined) field.value = values[c.key]!;
        return {
          key: c.key,
          tag: field.tagName.toLowerCase(),
          type: field.getAttribute('type'),
          label: (field as HTMLInputElement).labels?.[0]?.textContent ?? '',
          read: c.read() ?? null,
          placeholder: field.getAttribute('placeholder'),
          hint: c.element.querySelector('.hint')?.textContent ?? '',
        };
      });
    },
    { rows, values },
  );
}

describe.skipIf(!HAVE_CHROMIUM)(
  `option controls from the table${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM_HINT})`}`,
  () => {
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      browser = await launchChromium();
      page = await browser.context.newPage();
      await page.setContent('<!doctype html><html lang="en"><body></body></html>');
      await page.evaluate(await controlsScript());
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    it('gives every row of OPTION_SPECS one labelled control, in table order', async () => {
      const seen = await render(page, undefined, {});
      expect(seen.map((s) => s.key)).toEqual(OPTION_SPECS.map((s) => s.key));
      for (const s of seen) expect(s.label.startsWith(s.key), s.key).toBe(true);
      // Left alone, no control adds anything to the URL (defaults are dropped).
      expect(seen.filter((s) => s.read !== null)).toEqual([]);
    });

    it('falls back to a text input for kinds it does not know, and reads their text', async () => {
      const rows = [
        { key: 'w', aliases: ['width'], kind: 'int', min: 1, max: 8192 },
        { key: 'pad', aliases: ['padding'], kind: 'int-tuple', min: 0, max: 1000 },
        { key: 'wm', aliases: [], kind: 'name' },
        { key: 'zz', aliases: [], kind: 'some-future-kind', default: 'none' },
      ];
      const seen = await render(page, rows, { w: '640', pad: '10,20', wm: 'logo', zz: 'none' });
      expect(seen).toEqual(
        [
          { key: 'w', tag: 'input', type: 'number', label: 'w (width)', read: '640' },
          { key: 'pad', tag: 'input', type: 'text', label: 'pad (padding)', read: '10,20' },
          { key: 'wm', tag: 'input', type: 'text', label: 'wm', read: 'logo' },
          // Its default is left out of the URL like any other.
          { key: 'zz', tag: 'input', type: 'text', label: 'zz', read: null },
        ].map((want) => expect.objectContaining(want)),
      );
    });

    it('spells the number-list rows of the real table as the URL does (crop, pad) and the name row by its grammar', async () => {
      const seen = new Map((await render(page, undefined, {})).map((s) => [s.key, s]));
      expect(seen.get('crop')?.hint).toBe('x:y:w:h, each up to 65535');
      // pad's default 0:0:0:0 is spelled as the canonical form spells it, one number for all.
      expect(seen.get('pad')).toMatchObject({
        placeholder: '0',
        hint: 'top:right:bottom:left, each up to 1000, or one for all; default 0',
      });
      expect(seen.get('wm')?.hint).toBe('[a-z0-9][a-z0-9_-]{0,31}');
    });
  },
);
