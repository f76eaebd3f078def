/**
 * Finds the cases: every bench/cases/*.ts file (not starting with "_", so helpers can live
 * there too) exporting `cases: BenchCase[]` (or a default BenchCase / BenchCase[]), run in
 * file-name order. Adding a case is adding a file.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase } from './types.js';

const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');

function isCase(x: unknown): x is BenchCase {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as BenchCase).name === 'string' &&
    typeof (x as BenchCase).setup === 'function'
  );
}

export async function discoverCases(): Promise<BenchCase[]> {
  const files = (await readdir(CASES_DIR))
    .filter((f) => /\.(ts|js|mts|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .sort();
  const found: BenchCase[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(CASES_DIR, file)).href)) as Record<string, unknown>;
    const exported = [mod.cases, mod.default].flat().filter((x) => x !== undefined);
    const cases = exported.filter(isCase);
    if (cases.length === 0)
      throw new Error(`bench/cases/${file} exports no case (export const cases = [...])`);
    found.push(...cases);
  }
  const names = new Set<string>();
  for (const c of found) {
    if (names.has(c.name)) throw new Error(`duplicate bench case name ${c.name}`);
    names.add(c.name);
  }
  return found;
}
