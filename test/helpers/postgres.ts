/** The throw-away PostgreSQL cluster lives in scripts/ so the benchmark can use it too. */
export * from '../../scripts/temp-postgres.js';
