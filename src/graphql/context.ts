/**
 * What every resolver receives: who is calling (resolved from the API key by the HTTP layer) and a
 * logger bound to the request.
 */
import { type Tenant } from '../config/tenant.js';
import { type Logger } from '../common/logger.js';
import { type KeyScope, keyScopeAllows } from '../common/vocabulary.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';

/** The caller, once its key is known. */
export interface Caller {
  readonly tenant: Tenant;
  readonly scope: KeyScope;
  /** The key's name from the tenants file (for logs; never the key itself). */
  readonly keyName: string;
}

export interface GatewayContext {
  /** `null` when the request carried no key: only schema introspection works then. */
  readonly caller: Caller | null;
  readonly requestId: string;
  /** The request's logger (request id bound; tenant id too once known). */
  readonly log: Logger;
}

/**
 * The caller, or UNAUTHENTICATED. `signal` keys may also read their own tenant's handoffs (the voice
 * agent polls what it sent); `read` keys may not mutate (FORBIDDEN).
 */
export function requireCaller(context: GatewayContext, scope: KeyScope): Caller {
  const { caller } = context;
  if (caller === null) throw new UnauthenticatedError();
  if (!keyScopeAllows(caller.scope, scope)) {
    throw new ForbiddenError('This key has the read scope; this operation needs a signal key.');
  }
  return caller;
}
