// Kysely's SQLite dialect expects a better-sqlite3 shaped database; this adapts node:sqlite
// (built into Node: no native addon to compile) to it.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { CompiledQuery, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDatabase, type SqliteDialectConfig, type SqliteStatement } from 'kysely';

type Param = null | number | bigint | string | NodeJS.ArrayBufferView;

function bind(params: ReadonlyArray<unknown>): Param[] {
  // node:sqlite binds no booleans or undefined; SQLite stores booleans as 0/1 anyway.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p === undefined ? null : p as Param));
}

class Statement implements SqliteStatement {
  readonly reader: boolean;
  readonly #stmt: StatementSync;
  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.reader = stmt.columns().length > 0;
  }
  all(params: ReadonlyArray<unknown>): unknown[] { return this.#stmt.all(...bind(params)); }
  run(params: ReadonlyArray<unknown>) {
    const r = this.#stmt.run(...bind(params));
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }
  iterate(params: ReadonlyArray<unknown>): IterableIterator<unknown> { return this.#stmt.iterate(...bind(params)) as IterableIterator<unknown>; }
}

export function openSqlite(location: string): SqliteDatabase & { raw: DatabaseSync } {
  const db = new DatabaseSync(location, { enableForeignKeyConstraints: true, timeout: 5000 });
  if (location !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  return {
    raw: db,
    close: () => db.close(),
    prepare: (sql: string) => new Statement(db.prepare(sql)),
  };
}

/**
 * Transactions start with BEGIN IMMEDIATE: a read-then-write transaction in WAL mode that begins
 * deferred fails at once (SQLITE_BUSY_SNAPSHOT) when another process (the CLI) committed in
 * between; taking the write lock up front makes it wait (busy timeout) instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
