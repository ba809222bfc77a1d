/**
 * A write-through cache of recent handoffs in front of the embedded store, so `handoffStatus` and
 * `handoff(id)` are answered without a PGlite query (issue 14).
 *
 * Coherent by construction, in embedded mode only: one process owns the data directory (the lock
 * of `data-dir-lock.ts`), so every write to the `handoffs` table goes through this object, and each
 * write returns the row as committed. The rules:
 *
 * - A write that returns rows (insert, progress, outcome, claim, reopen) puts them in the cache
 *   after its commit; a write that returns no row (release) or fails drops what it may have changed.
 * - A read that misses asks the database and keeps the answer only if no write completed while it
 *   ran (a global write epoch): otherwise the answer may predate a commit the cache already holds.
 * - The latest handoff of a contact is remembered as an id; an insert moves it forward only when the
 *   cache already knows the contact's latest (it cannot know of rows it never saw).
 * - Absence is never cached; `findForScreenPop`, `list` and the calls table always ask the database.
 *
 * In PostgreSQL mode other replicas write too, and this cache is not used (docs/architecture.md,
 * "Read cache").
 *
 * Every method of `HandoffStore` is written out here, so a new one (a purge, say) cannot reach the
 * database past the cache without this class choosing what it invalidates.
 */
import { type Call, type ScreenPopLookup } from '../handoff/model.js';
import { type HandoffOutcome, type HandoffRecord, type HandoffStore, type ListHandoffs, type NewHandoff } from '../handoff/ports.js';

/** Options of the read cache. */
export interface HandoffCacheOptions {
  /** Most handoffs kept (least recently used dropped first); default 4096, ≈ 1 KB each. */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 4096;

/** A bounded map that forgets the least recently used key first. */
class Lru<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}

const contactKey = (tenantId: string, contactId: string) => `${tenantId}\u0000${contactId}`;

/** `(created_at desc, id desc)`: true when `a` is listed before `b`. */
function newer(a: HandoffRecord, b: HandoffRecord): boolean {
  const diff = a.createdAt.getTime() - b.createdAt.getTime();
  return diff !== 0 ? diff > 0 : a.id > b.id;
}

/** `HandoffStore` with a write-through cache of handoffs by id and of each contact's latest. */
export class CachedHandoffStore implements HandoffStore {
  readonly #store: HandoffStore;
  readonly #byId: Lru<string, HandoffRecord>;
  readonly #latest: Lru<string, string>;
  /** Counts completed (or failed) writes; a read that saw it change does not fill the cache. */
  #epoch = 0;

  constructor(store: HandoffStore, options: HandoffCacheOptions = {}) {
    this.#store = store;
    const max = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#byId = new Lru(max);
    this.#latest = new Lru(max);
  }

  /** Handoffs held (for tests and metrics). */
  get size(): number {
    return this.#byId.size;
  }

  #put(record: HandoffRecord): HandoffRecord {
    const frozen = Object.isFrozen(record) ? record : Object.freeze(record);
    this.#byId.set(record.id, frozen);
    return frozen;
  }

  /** Runs a write; on failure the rows it names are dropped, since it may or may not have committed. */
  async #write<T>(run: () => Promise<T>, ids: readonly string[], onDone: (result: T) => void): Promise<T> {
    let result: T;
    try {
      result = await run();
    } catch (error) {
      this.#epoch += 1;
      for (const id of ids) this.#byId.delete(id);
      throw error;
    }
    this.#epoch += 1;
    onDone(result);
    return result;
  }

  async insertOrGet(handoff: NewHandoff): Promise<{ readonly record: HandoffRecord; readonly created: boolean }> {
    const key = contactKey(handoff.tenantId, handoff.contactId);
    return await this.#write(
      () => this.#store.insertOrGet(handoff),
      [handoff.id],
      ({ record }) => {
        this.#put(record);
        const latestId = this.#latest.get(key);
        const latest = latestId === undefined ? undefined : this.#byId.get(latestId);
        if (latest !== undefined && record.contactId === handoff.contactId && newer(record, latest)) this.#latest.set(key, record.id);
        // The latest id is known but its record was evicted: it cannot be compared, so forget it.
        else if (latestId !== undefined && latest === undefined) this.#latest.delete(key);
      },
    ).catch((error: unknown) => {
      this.#latest.delete(key);
      throw error;
    });
  }

  async get(tenantId: string, id: string): Promise<HandoffRecord | null> {
    const hit = this.#byId.get(id);
    // The id is the primary key: a row of another tenant means none of this one.
    if (hit !== undefined) return hit.tenantId === tenantId ? hit : null;
    const epoch = this.#epoch;
    const record = await this.#store.get(tenantId, id);
    if (record !== null && epoch === this.#epoch) return this.#put(record);
    return record;
  }

  async latestForContact(tenantId: string, contactId: string): Promise<HandoffRecord | null> {
    const key = contactKey(tenantId, contactId);
    const latestId = this.#latest.get(key);
    const hit = latestId === undefined ? undefined : this.#byId.get(latestId);
    if (hit !== undefined) return hit;
    const epoch = this.#epoch;
    const record = await this.#store.latestForContact(tenantId, contactId);
    if (record !== null && epoch === this.#epoch) {
      this.#latest.set(key, record.id);
      return this.#put(record);
    }
    return record;
  }

  async findForScreenPop(tenantId: string, lookup: ScreenPopLookup): Promise<HandoffRecord | null> {
    return await this.#store.findForScreenPop(tenantId, lookup);
  }

  async list(query: ListHandoffs): Promise<HandoffRecord[]> {
    return await this.#store.list(query);
  }

  async recordProgress(id: string, owner: string, progress: Parameters<HandoffStore['recordProgress']>[2]): Promise<HandoffRecord | null> {
    return await this.#write(() => this.#store.recordProgress(id, owner, progress), [id], (record) => this.#putOrKeep(record));
  }

  async complete(id: string, owner: string, outcome: HandoffOutcome): Promise<HandoffRecord | null> {
    return await this.#write(() => this.#store.complete(id, owner, outcome), [id], (record) => this.#putOrKeep(record));
  }

  async release(id: string, owner: string, now: Date, notBefore?: Date): Promise<boolean> {
    // No row comes back: drop the cached one (its lease fields changed), the next read refills it.
    return await this.#write(
      () => this.#store.release(id, owner, now, notBefore),
      [id],
      (released) => {
        if (released) this.#byId.delete(id);
      },
    );
  }

  async claimDue(claim: Parameters<HandoffStore['claimDue']>[0]): Promise<HandoffRecord[]> {
    try {
      return await this.#write(
        () => this.#store.claimDue(claim),
        [],
        (records) => {
          for (const record of records) this.#put(record);
        },
      );
    } catch (error) {
      // Which rows it touched is unknown: start again from the database.
      this.#byId.clear();
      this.#latest.clear();
      throw error;
    }
  }

  async reopen(tenantId: string, id: string, reopen: Parameters<HandoffStore['reopen']>[2]): Promise<HandoffRecord | null> {
    return await this.#write(() => this.#store.reopen(tenantId, id, reopen), [id], (record) => this.#putOrKeep(record));
  }

  async purgeExpiredHandoffs(purge: Parameters<HandoffStore['purgeExpiredHandoffs']>[0]): Promise<number> {
    // Which rows went is not returned: a batch that deleted any (or failed) empties the cache. Batches
    // run minutes apart at most a few dozen times an hour, so the cost is a refill from the database.
    const forget = () => {
      this.#byId.clear();
      this.#latest.clear();
    };
    try {
      return await this.#write(
        () => this.#store.purgeExpiredHandoffs(purge),
        [],
        (deleted) => {
          if (deleted > 0) forget();
        },
      );
    } catch (error) {
      forget();
      throw error;
    }
  }

  async purgeExpiredCalls(purge: Parameters<HandoffStore['purgeExpiredCalls']>[0]): Promise<number> {
    // Calls are not cached.
    return await this.#store.purgeExpiredCalls(purge);
  }

  /** A write that returned null changed nothing (the row is not ours, or not in that state). */
  #putOrKeep(record: HandoffRecord | null): void {
    if (record !== null) this.#put(record);
  }

  async upsertCall(call: Call): Promise<Call> {
    return await this.#store.upsertCall(call);
  }

  async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    return await this.#store.getCall(tenantId, contactId);
  }

  async ping(): Promise<void> {
    // Readiness proves the database, never the cache.
    await this.#store.ping();
  }

  async close(): Promise<void> {
    this.#byId.clear();
    this.#latest.clear();
    await this.#store.close();
  }
}
