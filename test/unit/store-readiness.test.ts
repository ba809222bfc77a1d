/** `HandoffStore.ping` (what /readyz asks): it proves the store answers its own reads, not only `SELECT 1`. */
import { describe, expect, it } from 'vitest';
import { type SqlExecutor, SqlHandoffStore } from '../../src/store/sql-handoff-store.js';

/** A database that answers `SELECT 1` but fails any statement touching a damaged table. */
function damaged(table: 'handoffs' | 'calls' | null): SqlExecutor & { readonly seen: string[] } {
  const seen: string[] = [];
  const run = async (sql: string): Promise<unknown[]> => {
    seen.push(sql);
    if (table !== null && new RegExp(`\\b${table}\\b`).test(sql)) throw new Error(`could not read block 0 in file "base/5/16384": read only 0 of 8192 bytes (${table})`);
    return [];
  };
  return { seen, read: run, write: run, close: async () => undefined };
}

describe('SqlHandoffStore.ping', () => {
  it('resolves when the handoffs and calls reads answer', async () => {
    const sql = damaged(null);
    await new SqlHandoffStore(sql).ping();
    expect(sql.seen.some((s) => /FROM handoffs/.test(s))).toBe(true);
    expect(sql.seen.some((s) => /FROM calls/.test(s))).toBe(true);
  });

  it.each(['handoffs', 'calls'] as const)('rejects when the %s table cannot be read, though SELECT 1 would answer', async (table) => {
    const sql = damaged(table);
    expect(await sql.read('SELECT 1', [])).toEqual([]);
    await expect(new SqlHandoffStore(sql).ping()).rejects.toThrow(/could not read block/);
  });
});
