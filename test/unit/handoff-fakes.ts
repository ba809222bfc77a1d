/** Test doubles shared by the store and handoff suites: a recording logger, temp directories, a scripted NiceClient. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger } from '../../src/common/logger.js';
import { type NiceClient, type NiceTenant, type SignalOptions, type SignalResult } from '../../src/nice/types.js';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A logger that keeps every entry (with its bindings) for assertions. */
export function recordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const at =
    (level: LogEntry['level']) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj: { ...bindings, ...obj }, msg });
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

/** A fresh directory under the OS temp dir, removed by `remove()`. */
export async function tempDir(prefix = 'cxgw-store-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: async () => await rm(path, { recursive: true, force: true }) };
}

/** The shape of the CXone client's errors (src/nice/errors.ts), built without depending on that class. */
export class FakeNiceError extends Error {
  override readonly name = 'NiceError';
  readonly code: string;
  readonly retryable: boolean;
  readonly upstreamStatus: number | undefined;
  readonly attempts: number;
  constructor(init: { code: string; retryable: boolean; upstreamStatus?: number; attempts?: number; message?: string }) {
    super(init.message ?? `CXone failed with ${init.code}`);
    this.code = init.code;
    this.retryable = init.retryable;
    this.upstreamStatus = init.upstreamStatus;
    this.attempts = init.attempts ?? 1;
  }
}

export interface FakeCall {
  readonly tenant: NiceTenant;
  readonly contactId: string;
  readonly params: readonly string[];
  readonly options: SignalOptions;
}

/** How the fake answers one call. */
export type Script = (call: FakeCall) => Promise<SignalResult>;

/** A NiceClient whose answers a test scripts; it records every call. */
export class FakeNiceClient implements NiceClient {
  readonly calls: FakeCall[] = [];
  script: Script;

  constructor(script: Script = succeed()) {
    this.script = script;
  }

  async signal(tenant: NiceTenant, contactId: string, params: readonly string[], options: SignalOptions): Promise<SignalResult> {
    const call = { tenant, contactId, params, options };
    this.calls.push(call);
    return await this.script(call);
  }

  async close(): Promise<void> {}
}

export const succeed =
  (attempts = 1): Script =>
  async () => ({ status: 202, attempts });

export const fail =
  (init: ConstructorParameters<typeof FakeNiceError>[0]): Script =>
  async () => {
    throw new FakeNiceError(init);
  };

/** Reports `retries` retryable failures through onRetry, then runs `then`. */
export const retryThen =
  (retries: number, then: Script, cause: { code: string; upstreamStatus: number } = { code: 'CXONE_UNAVAILABLE', upstreamStatus: 503 }): Script =>
  async (call) => {
    for (let attempt = 1; attempt <= retries; attempt++) {
      call.options.onRetry?.({ error: new FakeNiceError({ ...cause, retryable: true, attempts: attempt }), attempt, delayMs: 0 });
    }
    return await then(call);
  };

/** Waits `ms` (or until aborted, rejecting like a cancelled request), then runs `then`. */
export const slow =
  (ms: number, then: Script = succeed()): Script =>
  async (call) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      call.options.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new FakeNiceError({ code: 'CXONE_TIMEOUT', retryable: true, message: 'aborted' }));
      });
    });
    return await then(call);
  };

/** A promise with its resolve function, to hold a fake call until the test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function niceTenant(id: string): NiceTenant {
  return {
    id,
    cxone: {
      issuer: 'http://127.0.0.1:9',
      apiVersion: 'v30.0',
      credentials: { clientId: 'c', clientSecret: 'SECRET-client', accessKeyId: 'k', accessKeySecret: 'SECRET-key' },
    },
  };
}
