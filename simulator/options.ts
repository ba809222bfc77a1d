/** Options shared by `createSimulatorApp` and `startSimulator`, their defaults, and what routes receive. */
import { type Logger } from 'pino';
import { type SipAgent } from './sip-agent.js';
import { type SimulatorState } from './state.js';

/** Behaviour knobs; every field has a default (see {@link DEFAULTS}). */
export interface SimulatorBehaviour {
  /** Access token lifetime (`expires_in`), seconds. */
  readonly tokenTtlSeconds: number;
  /** Status of an accepted signal. */
  readonly signalStatus: number;
  /** Longest p1..p9 value accepted, in characters (CXone's own limit is not documented: inferred). */
  readonly paramMaxLength: number;
  /** HS256 key the id_token is signed with. */
  readonly idTokenKey: string;
}

export const DEFAULTS: Readonly<SimulatorBehaviour> = Object.freeze({
  tokenTtlSeconds: 3600,
  signalStatus: 202,
  paramMaxLength: 1000,
  idTokenKey: 'cxone-simulator-id-token-key',
});

/** What every route factory receives. */
export interface RouteDeps {
  readonly state: SimulatorState;
  readonly behaviour: SimulatorBehaviour;
  readonly sip: SipAgent;
  readonly log: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** Fills defaults and rejects nonsensical values with a message naming the option. */
export function resolveBehaviour(options: Partial<SimulatorBehaviour>): SimulatorBehaviour {
  const behaviour = { ...DEFAULTS, ...stripUndefined(options) };
  const problems: string[] = [];
  if (!(behaviour.tokenTtlSeconds > 0)) problems.push('tokenTtlSeconds must be a positive number of seconds');
  if (!Number.isInteger(behaviour.signalStatus) || behaviour.signalStatus < 200 || behaviour.signalStatus > 599) {
    problems.push('signalStatus must be an HTTP status between 200 and 599');
  }
  if (!Number.isInteger(behaviour.paramMaxLength) || behaviour.paramMaxLength < 1) problems.push('paramMaxLength must be a positive integer');
  if (behaviour.idTokenKey.length === 0) problems.push('idTokenKey must not be empty');
  if (problems.length > 0) throw new RangeError(`Invalid simulator options: ${problems.join('; ')}`);
  return Object.freeze(behaviour);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
