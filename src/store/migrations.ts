/**
 * Numbered schema migrations, shared by both stores. They live here as string constants because tsc
 * does not copy `.sql` files into `dist/`. Never edit an applied migration: add the next number.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'handoffs and calls',
    sql: /* SQL */ `
      CREATE TABLE handoffs (
        id                 uuid PRIMARY KEY,
        tenant_id          text NOT NULL,
        contact_id         text NOT NULL,
        state              text NOT NULL CHECK (state IN ('PENDING', 'SIGNALED', 'FAILED')),
        params             text[] NOT NULL,
        context            jsonb,
        idempotency_key    text,
        input_hash         text NOT NULL,
        attempts           integer NOT NULL DEFAULT 0,
        last_error_code    text,
        last_error_message text,
        last_error_status  integer,
        last_error_at      timestamptz,
        pending_since      timestamptz NOT NULL,
        lease_owner        text,
        lease_until        timestamptz,
        next_attempt_at    timestamptz,
        created_at         timestamptz NOT NULL,
        updated_at         timestamptz NOT NULL,
        signaled_at        timestamptz,
        CONSTRAINT handoffs_tenant_idempotency_key UNIQUE (tenant_id, idempotency_key)
      );
      -- handoffStatus (latest for a contact) and handoffs(contactId: ...) pages.
      CREATE INDEX handoffs_tenant_contact_created ON handoffs (tenant_id, contact_id, created_at DESC, id DESC);
      -- handoffs(...) pages without a contact filter.
      CREATE INDEX handoffs_tenant_created ON handoffs (tenant_id, created_at DESC, id DESC);
      -- The retry worker's due query: small, since only PENDING rows are in it.
      CREATE INDEX handoffs_due ON handoffs (next_attempt_at) WHERE state = 'PENDING';

      CREATE TABLE calls (
        tenant_id     text NOT NULL,
        contact_id    text NOT NULL,
        pseudo_number text NOT NULL,
        from_address  text,
        sip_call_id   text,
        received_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, contact_id)
      );
    `,
  },
  {
    version: 2,
    name: 'calls: master contact id, CXone context, warnings',
    sql: /* SQL */ `
      ALTER TABLE calls
        ADD COLUMN master_contact_id text,
        ADD COLUMN cxone_context     jsonb,
        ADD COLUMN warnings          text[] NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 3,
    name: 'handoffs: shared id and conversation id (Handoff API)',
    sql: /* SQL */ `
      ALTER TABLE handoffs
        ADD COLUMN shared_id       text,
        ADD COLUMN conversation_id text;
      -- Handoff API lookups: latest handoff for a shared id or a conversation id.
      CREATE INDEX handoffs_tenant_shared_created ON handoffs (tenant_id, shared_id, created_at DESC, id DESC)
        WHERE shared_id IS NOT NULL;
      CREATE INDEX handoffs_tenant_conversation_created ON handoffs (tenant_id, conversation_id, created_at DESC, id DESC)
        WHERE conversation_id IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: 'retention: finished handoffs and calls by age',
    sql: /* SQL */ `
      -- The retention purge's scans (sql-handoff-store.ts, PURGE_HANDOFFS and PURGE_CALLS): the
      -- oldest finished handoffs and the oldest calls first, without reading the whole table.
      CREATE INDEX handoffs_terminal_updated ON handoffs (updated_at) WHERE state IN ('SIGNALED', 'FAILED');
      CREATE INDEX calls_received ON calls (received_at);
    `,
  },
];

/** One database session: the migration runner needs the advisory lock and its unlock on the same one. */
export interface MigrationSession {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<unknown>;
}

/** Arbitrary but fixed key of the advisory lock that serialises migration runs across replicas. */
const MIGRATION_LOCK_KEY = 7_214_356_001;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction.
 * Idempotent. Two replicas starting at once serialise on a session-level advisory lock: the second
 * waits, then finds everything applied. Returns the versions it applied.
 */
export async function runMigrations(session: MigrationSession, list: readonly Migration[] = migrations): Promise<number[]> {
  await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    await session.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await session.query('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((row) => (row as { version: number }).version));
    const done: number[] = [];
    for (const migration of [...list].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await session.query('BEGIN');
      try {
        await session.exec(migration.sql);
        await session.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await session.query('COMMIT');
      } catch (error) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}
