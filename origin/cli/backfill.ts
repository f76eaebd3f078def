/**
 * Backfills for data older than the code that writes it:
 *   npm run backfill -- placeholders [--batch-size 100] [--concurrency 2]
 *   npm run backfill -- mezzanines [--batch-size 100]
 *   (in the container image: node dist/origin/cli/backfill.js placeholders)
 *
 * Runs with the origin's environment (the same variables: database, UPLOAD_DIR or S3_*,
 * MAX_INPUT_PIXELS), beside running origins on real Postgres. The embedded database (PGLITE_DIR)
 * has one writer: stop the origin that holds it first.
 *
 * stdout: one JSON line per batch, then a summary line. stderr: one line per image that could not
 * get a placeholder. Exit 0 when every image has one, 1 when some could not (run it again once
 * fixed: done images are skipped), 2 for bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { storageFailureMessage } from '../storage/originals.js';

const USAGE = `usage:
  backfill placeholders [--batch-size N (1..1000, default 100)] [--concurrency N (1..32, default 2)]
  backfill mezzanines [--batch-size N (1..1000, default 100)]`;

class UsageError extends Error {}

function count(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(raw) || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  }
  return Number(raw);
}

function parseCommand(argv: string[]) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { positionals, values } = parsed;
  if (values.help) return 'help' as const;
  const [what, ...rest] = positionals;
  if (what !== 'placeholders' && what !== 'mezzanines')
    throw new UsageError(what ? `unknown backfill "${what}"` : 'missing what to backfill');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return {
    what,
    batchSize: count('batch-size', values['batch-size'], 100, 1000),
    concurrency: count('concurrency', values.concurrency, 2, 32),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'batch-size': { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

const line = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig();
  // The heavy modules (sharp, the database drivers, the S3 client) once the command line is valid.
  const [{ connectDb }, { migrate }, { backfillPlaceholders, pendingPlaceholders }, { createOriginalStore }] =
    await Promise.all([
      import('../db/connect.js'),
      import('../db/migrate.js'),
      import('../images/backfill-placeholders.js'),
      import('../storage/create.js'),
    ]);
  const db = await connectDb({
    databaseUrl: config.database.url,
    pgliteDir: config.database.pgliteDir,
    maxConnections: Math.min(config.database.poolMax, command.concurrency + 1),
  });
  try {
    await migrate(db);
    // The bucket itself: no cache of originals (each is read once).
    const originals = createOriginalStore({ ...config, originalCacheBytes: 0 });
    if (command.what === 'mezzanines') {
      const [{ backfillMezzanines }, { createMezzanineStore }] = await Promise.all([
        import('../mezzanine/backfill.js'),
        import('../mezzanine/create.js'),
      ]);
      const report = await backfillMezzanines(
        { db, originals, store: createMezzanineStore(config), maxInputPixels: config.maxInputPixels },
        {
          batchSize: command.batchSize,
          onBatch: ({ failures, ...counts }) => line({ ...counts, failed: failures.length }),
        },
      );
      for (const f of report.failures)
        process.stderr.write(`backfill: ${f.sha256}: ${f.code}: ${f.message}\n`);
      const { failures, ...counts } = report;
      line({ done: true, ...counts, failed: failures.length });
      return failures.length === 0 ? 0 : 1;
    }
    line({ pending: await pendingPlaceholders(db) });
    const report = await backfillPlaceholders(
      { db, originals, maxInputPixels: config.maxInputPixels },
      {
        batchSize: command.batchSize,
        concurrency: command.concurrency,
        onBatch: line,
        onFailure: (f) => process.stderr.write(`backfill: ${f.sha256}: ${f.code}: ${f.message}\n`),
      },
    );
    line({
      done: true,
      originals: report.originals,
      updated: report.updated,
      failed: report.failures.length,
      pending: await pendingPlaceholders(db),
    });
    return report.failures.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`backfill: ${err.message}\n${USAGE}\n`);
    // A store that is down: its own reason (the endpoint, the error), not the clients' wording.
    else process.stderr.write(`backfill: ${storageFailureMessage(err)}\n`);
    process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
  },
);
