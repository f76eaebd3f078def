/**
 * Throwaway Postgres databases (`create database <prefix>_<random>` on a server, dropped with
 * `force` afterwards), for the tests' process-level cases and the benchmark's origins.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface ThrowawayDatabase {
  name: string;
  /** The server URL with this database as its path. */
  url: string;
  /** Drops the database (idempotent; connections to it are terminated). */
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, statement: string): Promise<void> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end();
  }
}

/** A new empty database on the server at `serverUrl` (an admin URL), named `<prefix>_<random>`. */
export async function createThrowawayDatabase(serverUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => {
      dropped ??= onServer(serverUrl, `drop database if exists ${name} with (force)`);
      return dropped;
    },
  };
}
