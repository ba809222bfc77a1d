/**
 * Fault injection as a pipeline stage. Faults are stored per fault route and applied by
 * {@link createFaultStage}, which sits in front of the route handlers; no route knows about faults,
 * and `createSimulatorApp` accepts another stage in its place.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { errorForStatus } from './errors.js';
import { FAULT_ROUTES, type FaultRoute, type Reply, type RouteContext, type Stage, UnreachableCaseError } from './pipeline.js';

export const FAULT_KINDS = ['status', 'delay', 'drop', 'malformed', 'lost_response'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The body of `POST /_sim/faults`. */
export const faultSpecSchema = z
  .strictObject({
    route: z.enum(FAULT_ROUTES),
    kind: z.enum(FAULT_KINDS),
    status: z.number().int().min(100).max(599).optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    count: z.number().int().positive().optional(),
    share: z.number().gt(0).max(1).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.kind === 'status' && spec.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'is required for kind "status"' });
    }
    if (spec.kind === 'delay' && spec.delayMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['delayMs'], message: 'is required for kind "delay"' });
    }
  });

export type FaultSpec = z.output<typeof faultSpecSchema>;

/** A stored fault as `GET /_sim/faults` lists it. `remaining` is null when no `count` was given. */
export interface Fault extends FaultSpec {
  readonly id: number;
  readonly remaining: number | null;
  readonly applied: number;
}

interface FaultEntry {
  readonly spec: FaultSpec;
  readonly id: number;
  remaining: number | null;
  applied: number;
  /** Share accumulator: grows by `share` per matching request, fires (and drops by 1) at 1. */
  credit: number;
}

// 0.1 added ten times is 0.9999999999999999; without slack a share of 0.1 would fire on the 11th.
const EPSILON = 1e-9;

/** The faults in force, in creation order. */
export class FaultStore {
  #entries: FaultEntry[] = [];
  #nextId = 1;

  add(spec: FaultSpec): Fault {
    const entry: FaultEntry = { spec, id: this.#nextId++, remaining: spec.count ?? null, applied: 0, credit: 0 };
    this.#entries.push(entry);
    return view(entry);
  }

  list(): Fault[] {
    return this.#entries.map(view);
  }

  remove(id: number): boolean {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((entry) => entry.id !== id);
    return this.#entries.length !== before;
  }

  clear(): void {
    this.#entries = [];
    this.#nextId = 1;
  }

  /**
   * The fault that applies to one request to `route`, if any: the first in creation order that
   * fires. A fault with `share` fires deterministically on every request where its accumulated
   * share reaches 1 (0.5 → every 2nd request, 0.25 → every 4th), so tests are stable. Firing uses
   * up one of `count`; an exhausted fault is removed.
   */
  take(route: FaultRoute): Fault | undefined {
    for (const entry of this.#entries) {
      if (entry.spec.route !== route) continue;
      if (entry.spec.share !== undefined) {
        entry.credit += entry.spec.share;
        if (entry.credit < 1 - EPSILON) continue;
        entry.credit -= 1;
      }
      entry.applied += 1;
      if (entry.remaining !== null) {
        entry.remaining -= 1;
        if (entry.remaining === 0) this.remove(entry.id);
      }
      return view(entry);
    }
    return undefined;
  }
}

function view(entry: FaultEntry): Fault {
  return { id: entry.id, ...entry.spec, remaining: entry.remaining, applied: entry.applied };
}

/** The default fault stage: applies the first firing fault of `store` to requests of fault routes. */
export function createFaultStage(store: FaultStore): Stage {
  return async (ctx, next) => {
    const route = ctx.route.fault;
    const fault = route === undefined ? undefined : store.take(route);
    if (fault === undefined) return next();
    ctx.log.info({ faultId: fault.id, route, kind: fault.kind }, 'fault injected');
    switch (fault.kind) {
      case 'status':
        return statusReply(fault, ctx, fault.status ?? 500);
      case 'delay':
        try {
          await sleep(fault.delayMs ?? 0, undefined, { signal: ctx.signal });
        } catch {
          return { kind: 'drop' }; // the simulator is closing
        }
        return fault.status === undefined ? withHeaders(await next(), fault.headers) : statusReply(fault, ctx, fault.status);
      case 'drop':
        return { kind: 'drop' };
      case 'malformed':
        return malformed(await next(), fault);
      case 'lost_response':
        // The route runs (a signal is recorded), then the connection drops before any answer: the
        // client cannot tell this from a drop before processing.
        await next();
        return { kind: 'drop' };
      default:
        throw new UnreachableCaseError(fault.kind);
    }
  };
}

function statusReply(fault: Fault, ctx: RouteContext, status: number): Reply {
  const reply = errorForStatus(ctx.route.shape, status, `Simulated HTTP ${status} (fault ${fault.id})`);
  const body = fault.body === undefined ? reply.body : fault.body;
  return typeof body === 'string'
    ? { kind: 'text', status, contentType: 'text/html; charset=utf-8', text: body, headers: fault.headers ?? {} }
    : { kind: 'json', status, body, headers: fault.headers ?? {} };
}

/** The handler's status with a body that is not JSON: half of the real one, or the fault's HTML. */
function malformed(reply: Reply, fault: Fault): Reply {
  if (reply.kind === 'drop') return reply;
  const status = fault.status ?? reply.status;
  const headers = { ...reply.headers, ...fault.headers };
  if (typeof fault.body === 'string') {
    return { kind: 'text', status, contentType: 'text/html; charset=utf-8', text: fault.body, headers };
  }
  const whole = reply.kind === 'json' ? JSON.stringify(reply.body) : '{"CorrelationId":"';
  return { kind: 'text', status, contentType: 'application/json; charset=utf-8', text: whole.slice(0, Math.max(1, Math.floor(whole.length / 2))), headers };
}

function withHeaders(reply: Reply, headers: Readonly<Record<string, string>> | undefined): Reply {
  return reply.kind === 'drop' || headers === undefined ? reply : { ...reply, headers: { ...reply.headers, ...headers } };
}
