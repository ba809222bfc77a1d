/** Options shared by `createSimulatorApp` and `startSimulator`, their defaults, and what routes receive. */
import { type Logger } from 'pino';
import { MAX_SIGNAL_PARAM_LENGTH } from '../src/common/signal-limits.js';
import { type IdTokenSigner } from './id-token.js';
import { type SipAgent } from './sip-agent.js';
import { type SimulatorState } from './state.js';

/** Behaviour knobs; every field has a default (see {@link DEFAULTS}). */
export interface SimulatorBehaviour {
  /** Access token lifetime (`expires_in`), seconds. */
  readonly tokenTtlSeconds: number;
  /** Refresh token lifetime, seconds (NICE's examples: 7200). */
  readonly refreshTokenTtlSeconds: number;
  /** Status of an accepted signal. */
  readonly signalStatus: number;
  /** Longest p1..p9 value accepted, in characters (CXone's own limit is not documented: inferred). */
  readonly paramMaxLength: number;
}

export const DEFAULTS: Readonly<SimulatorBehaviour> = Object.freeze({
  tokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 7200,
  signalStatus: 202,
  paramMaxLength: MAX_SIGNAL_PARAM_LENGTH,
});

/** What every route factory receives. */
export interface RouteDeps {
  readonly state: SimulatorState;
  readonly behaviour: SimulatorBehaviour;
  readonly sip: SipAgent;
  readonly log: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Signs id_tokens RS256 with the key published at `/auth/jwks`. */
  readonly idTokens: IdTokenSigner;
}

/** Fills defaults and rejects nonsensical values with a message naming the option. */
export function resolveBehaviour(options: Partial<SimulatorBehaviour>): SimulatorBehaviour {
  const behaviour = { ...DEFAULTS, ...stripUndefined(options) };
  const problems: string[] = [];
  if (!(behaviour.tokenTtlSeconds > 0)) problems.push('tokenTtlSeconds must be a positive number of seconds');
  if (!(behaviour.refreshTokenTtlSeconds > 0)) problems.push('refreshTokenTtlSeconds must be a positive number of seconds');
  if (!Number.isInteger(behaviour.signalStatus) || behaviour.signalStatus < 200 || behaviour.signalStatus > 599) {
    problems.push('signalStatus must be an HTTP status between 200 and 599');
  }
  if (!Number.isInteger(behaviour.paramMaxLength) || behaviour.paramMaxLength < 1) problems.push('paramMaxLength must be a positive integer');
  if (problems.length > 0) throw new RangeError(`Invalid simulator options: ${problems.join('; ')}`);
  return Object.freeze(behaviour);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
