/**
 * A schema migration: plain SQL statements, kept in TypeScript so the compiled build (which does
 * not copy .sql files) carries them. Statements run one by one (PGlite's extended protocol takes
 * one statement per query) inside one transaction. Never edit a released migration: add one.
 */
export interface Migration {
  /** Sortable and unique, `NNNN_name`; recorded in schema_migrations. */
  readonly version: string;
  readonly statements: readonly string[];
}
