/**
 * Live configuration: the tenants file is read again on SIGHUP (`bin.ts`) and when the file changes
 * (watched, debounced), so adding a tenant or rotating a key needs no restart. A valid file is put in
 * force for new requests in one step (`TenantRegistry.replace`); an invalid one is refused with the
 * same field-by-field problems as at start, the tenants in force stay, and a log line and the
 * `cxgw_tenants_reloads_total{outcome}` counter say so.
 *
 * Handoffs already accepted are not touched: an attempt in flight finishes with the settings it
 * started with; a PENDING handoff of a tenant that is no longer configured ends FAILED
 * (`CXONE_AUTH_FAILED`, "no CXone settings for this tenant") when the retry worker next takes it.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type Tenant } from '../config/tenant.js';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type Logger } from '../common/logger.js';
import { type GatewayMetrics } from '../http/metrics.js';

/** What a reload read: the tenants, or every problem of the file. */
export type TenantsLoad = { readonly ok: true; readonly tenants: readonly Tenant[] } | { readonly ok: false; readonly problems: readonly string[] };

export type ReloadOutcome = { readonly outcome: 'applied'; readonly tenants: readonly string[] } | { readonly outcome: 'refused'; readonly problems: readonly string[] };

export interface TenantsReloader {
  /** Reads the file now and applies it if valid. */
  reload(reason: string): ReloadOutcome;
  /** Stops watching the file. */
  close(): void;
}

export interface TenantsReloadDeps {
  readonly registry: TenantRegistry;
  readonly load: () => TenantsLoad;
  readonly log: Logger;
  readonly metrics: Pick<GatewayMetrics, 'tenantsReloads'>;
  /** The file to watch; no watching when undefined (SIGHUP and `reload` still work). */
  readonly watchFile?: string;
  /** Quiet time after the last change event before the file is read (default 200 ms): editors write in several steps. */
  readonly debounceMs?: number;
}

export function startTenantsReloader(deps: TenantsReloadDeps): TenantsReloader {
  const log = deps.log.child({ component: 'config' });
  const reload = (reason: string): ReloadOutcome => {
    const loaded = deps.load();
    if (!loaded.ok) {
      deps.metrics.tenantsReloads.inc({ outcome: 'refused' });
      log.error({ reason, problems: loaded.problems }, 'tenants file refused; the tenants in force stay');
      return { outcome: 'refused', problems: loaded.problems };
    }
    const before = new Set(deps.registry.tenants.map((t) => t.id));
    deps.registry.replace(loaded.tenants);
    deps.metrics.tenantsReloads.inc({ outcome: 'applied' });
    const ids = loaded.tenants.map((t) => t.id);
    log.info({ reason, tenants: ids, added: ids.filter((id) => !before.has(id)), removed: [...before].filter((id) => !ids.includes(id)) }, 'tenants file reloaded');
    return { outcome: 'applied', tenants: ids };
  };

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (deps.watchFile !== undefined) {
    const file = resolve(deps.watchFile);
    // The directory, not the file: editors and config managers replace a file by renaming a new one
    // over it, which ends a watch on the old inode.
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload('file changed'), deps.debounceMs ?? 200);
      timer.unref();
    });
    watcher.on('error', (error) => log.warn({ err: { message: error.message } }, 'cannot watch the tenants file; SIGHUP still reloads it'));
  }
  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
