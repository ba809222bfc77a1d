import { inject, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../helpers/database.js';

describe('test PostgreSQL cluster', () => {
  it('is reachable and hands out isolated databases', async () => {
    const db = await createTestDatabase(inject('postgresUrl'));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
    await client.end();
    await db.drop();
    expect(rows[0]?.one).toBe(1);
  });
});
