/**
 * `npm run bench [-- --only <substr>[,<substr>…]] [--duration <s>] [--concurrency <n>] [--list]`
 *
 * Generates (or reuses) the corpus, discovers bench/cases/*, and runs each case: baseline and
 * candidate warmed up, then alternated in rounds. One JSON line per case on stdout; progress
 * and the summary table on stderr. Exit status 1 when a case fails.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { type CaseResult, ROUNDS, runCase } from './compare.js';
import { loadCorpus } from './corpus.js';
import { discoverCases } from './registry.js';
import { type Failure, jsonLine, summaryTable } from './report.js';
import type { CaseContext } from './types.js';

const POOL = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const log = (s: string) => process.stderr.write(`${s}\n`);

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    log(
      'npm run bench -- [--only <substr>[,<substr>…]] [--duration <seconds per side>] ' +
        `[--concurrency <n>] [--list]\n  defaults: all cases, 12 s per side (count-based cases ignore it), concurrency ${POOL}`,
    );
    return 0;
  }
  const concurrency = Math.round(positive('concurrency', values.concurrency, POOL));
  const durationMs = positive('duration', values.duration, 12) * 1000;
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);

  const all = await discoverCases();
  const selected = only.length ? all.filter((c) => only.some((o) => c.name.includes(o))) : all;
  if (values.list) {
    for (const c of all) process.stdout.write(`${c.name}\n`);
    return 0;
  }
  if (selected.length === 0) {
    log(`no case matches --only ${only.join(',')}; cases: ${all.map((c) => c.name).join(', ')}`);
    return 1;
  }

  const t0 = performance.now();
  const corpus = await loadCorpus();
  const ctx: CaseContext = { corpus, concurrency, durationMs };
  log(
    `bench: ${selected.length} case(s), concurrency ${concurrency}, ${durationMs / 1000} s per side, rounds ${ROUNDS}; ` +
      `node ${process.version}, ${os.cpus().length} cpus, UV_THREADPOOL_SIZE ${POOL}, ` +
      `sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`,
  );

  const results: CaseResult[] = [];
  const failures: Failure[] = [];
  const skipped: Failure[] = [];
  for (const c of selected) {
    const why = await c.skip?.(ctx);
    if (why) {
      log(`- ${c.name}: skipped (${why})`);
      skipped.push({ name: c.name, error: why });
      continue;
    }
    log(`- ${c.name}`);
    try {
      const result = await runCase(c, ctx);
      results.push(result);
      process.stdout.write(`${jsonLine(result)}\n`);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log(`  FAILED: ${error}`);
      failures.push({ name: c.name, error });
    }
  }
  log(`\n${summaryTable(results, failures, skipped)}`);
  // sharp settings are process-wide; print them after the cases, once the pipeline has loaded.
  log(
    `sharp.concurrency ${sharp.concurrency()}, cache ${JSON.stringify(sharp.cache())}; ` +
      `total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);
