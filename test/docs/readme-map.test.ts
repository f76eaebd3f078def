/**
 * The README's "Where things live" map must match the code: every repository path it names
 * exists, and every name in a table row's last column is defined in that row's file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');

/** The section's text: from its heading to the next level-2 heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

const REPO_PATH = /^(?:edge|origin|shared|scripts|test|bench)\/[\w./-]*$/;
const NAME = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/;
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

/** Table rows as cells (separator rows dropped). */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) => l.slice(1, -1).split('|'));
}

/** Is `name` declared in `source` (function, class, const, type, method or object property)? */
function defines(source: string, name: string): boolean {
  const n = name.replace(/[$]/g, '\\$');
  return new RegExp(
    `(?:function\\*?|class|const|let|var|interface|type|enum)\\s+${n}\\b|^\\s*(?:(?:private|public|static|async|readonly|get)\\s+)*${n}\\s*[(<:=]`,
    'm',
  ).test(source);
}

/** Problems with the map in `text`: missing paths, and names their row's file does not define. */
function mapProblems(text: string): string[] {
  const problems: string[] = [];
  for (const path of spans(text).filter((s) => REPO_PATH.test(s))) {
    if (!existsSync(resolve(ROOT, path))) problems.push(`${path} does not exist`);
  }
  for (const cells of rows(text)) {
    if (cells.length < 3) continue;
    const file = spans(cells[1] as string).find((s) => REPO_PATH.test(s));
    if (file === undefined || !existsSync(resolve(ROOT, file))) continue;
    const source = readFileSync(resolve(ROOT, file), 'utf8');
    for (const name of spans(cells.at(-1) as string).filter((s) => NAME.test(s))) {
      for (const part of name.split('.')) {
        if (!defines(source, part)) problems.push(`${file} does not define ${part} (${name})`);
      }
    }
  }
  return problems;
}

describe('README "Where things live"', () => {
  const map = section(readme, 'Where things live');

  it('is there, with both tables', () => {
    expect(map).not.toBe('');
    expect(rows(map).length).toBeGreaterThan(30);
  });

  it('names only files that exist and functions those files define', () => {
    expect(mapProblems(map)).toEqual([]);
  });

  it('catches a path that does not exist and a name its file does not define', () => {
    const bogus = [
      '| x | `origin/variants/no-such-file.ts` | `get` |',
      '| y | `origin/variants/service.ts` | `VariantService.fetchVariant`, `noSuchFunction` |',
    ].join('\n');
    expect(mapProblems(bogus)).toEqual([
      'origin/variants/no-such-file.ts does not exist',
      'origin/variants/service.ts does not define fetchVariant (VariantService.fetchVariant)',
      'origin/variants/service.ts does not define noSuchFunction (noSuchFunction)',
    ]);
  });
});
