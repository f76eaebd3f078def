import type { Db } from './driver.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/**
 * Advisory lock key (two int4 form): a fixed namespace for imgedge migrations, and a hash of the
 * current schema, so migrators of one schema exclude each other while separate schemas in one
 * database (parallel test files) do not wait for each other.
 */
export const MIGRATION_LOCK_NAMESPACE = 0x696d6765; // 'imge'
const LOCK_ARGS = `${MIGRATION_LOCK_NAMESPACE}, hashtext(coalesce(current_schema(), ''))`;

function checkOrder(migrations: readonly Migration[]): void {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]!.version;
    const cur = migrations[i]!.version;
    if (!(prev < cur)) throw new Error(`migrations out of order: ${prev} before ${cur}`);
  }
}

/**
 * Applies pending migrations under a session advisory lock (released on success and on error; the
 * server drops it too if the connection dies), each migration in its own transaction together
 * with its row in schema_migrations. Re-running is a no-op; concurrent migrators apply each version once.
 * Returns the versions this call applied ([] when the schema was up to date).
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  checkOrder(migrations);
  const applied: string[] = [];
  await db.withSession(async (session) => {
    await session.query(`select pg_advisory_lock(${LOCK_ARGS})`);
    try {
      await session.query(
        `create table if not exists schema_migrations (
          version text primary key,
          applied_at timestamptz not null default now()
        )`,
      );
      for (const migration of migrations) {
        const didApply = await session.transaction(async (tx) => {
          // Checked inside the transaction as well: PGlite's single session re-enters the lock.
          const done = await tx.query('select 1 from schema_migrations where version = $1', [
            migration.version,
          ]);
          if (done.length > 0) return false;
          for (const statement of migration.statements) await tx.query(statement);
          await tx.query('insert into schema_migrations (version) values ($1)', [migration.version]);
          return true;
        });
        if (didApply) applied.push(migration.version);
      }
    } catch (err) {
      // When the connection is gone the server has released the lock already: keep the real error.
      await session.query(`select pg_advisory_unlock(${LOCK_ARGS})`).catch(() => {});
      throw err;
    }
    await session.query(`select pg_advisory_unlock(${LOCK_ARGS})`);
  });
  return applied;
}

/** Versions recorded in schema_migrations, oldest first ([] before the first migrate). */
export async function appliedVersions(db: Db): Promise<string[]> {
  const exists = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
  if (!exists[0]?.t) return [];
  const rows = await db.query<{ version: string }>('select version from schema_migrations order by version');
  return rows.map((r) => r.version);
}
