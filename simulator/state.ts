/**
 * The simulator's state. Records a tester may want to inspect (signals, contacts, tokens, calls)
 * live in json-server's router, which serves them read-only under `/_sim` with its filters, sorting
 * and pagination. Raw access and refresh tokens never enter those records (nor logs): they stay in
 * private maps here, keyed by value, pointing at the grant they stand for.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { type Request, type Response } from 'express';
import jsonServer, { type JsonServerRouter } from 'json-server';
import { FaultStore } from './faults.js';
import { RateLimits } from './rate-limit.js';
import { type AccessKeySeed, type ApiClientSeed, type BusinessUnitSeed, type Permission, type Seed } from './seed.js';

/** How a signal's params arrived: JSON body, query string, or none were given. */
export type SignalTransport = 'body' | 'query' | 'none';

/** One accepted signal. */
export interface SignalRecord {
  readonly id: number;
  readonly contactId: string;
  readonly businessUnit: string;
  /** p1..pN in order; a gap (p1 and p3 given) is an empty string. */
  readonly params: string[];
  readonly transport: SignalTransport;
  readonly receivedAt: string;
  /** The API client the token was issued through; null for an access-key grant token. */
  readonly clientId: string | null;
  readonly apiVersion: string;
}

export type ContactState = 'active' | 'ended';

/**
 * A contact the simulator routed to a voice agent. CXone hands the agent a spawned contact of the
 * call's master contact: `id` is the spawned contact (sent as X-InContact-ContactId; the one the
 * Signal API accepts), `masterContactId` the master (X-InContact-MasterId), a different number that
 * is not a contact of its own here.
 */
export interface ContactRecord {
  /** The contact id (12 digits): the spawned contact. */
  readonly id: string;
  /** The master contact's id (12 digits, never equal to any contact id). */
  readonly masterContactId: string;
  readonly businessUnit: string;
  readonly pseudoNumber: string;
  readonly from: string;
  state: ContactState;
  readonly startedAt: string;
  endedAt: string | null;
}

export type GrantType = 'password' | 'refresh_token' | 'access_key';

/** An issued token pair, described without its values. */
export interface TokenRecord {
  readonly id: number;
  /** null for the access-key grant, which authenticates no API client. */
  readonly clientId: string | null;
  readonly accessKeyId: string;
  readonly grantType: GrantType;
  readonly issuedAt: string;
  /** When the access token expires. */
  readonly expiresAt: string;
  /** When the refresh token expires. */
  readonly refreshExpiresAt: string;
}

export type DialogState = 'none' | 'inviting' | 'confirmed' | 'terminated';

export interface CallRecord {
  readonly id: number;
  readonly contactId: string;
  readonly masterContactId: string;
  readonly callId: string;
  readonly pseudoNumber: string;
  readonly from: string;
  readonly sipTarget: string | null;
  dialog: DialogState;
}

/** What json-server serves under `/_sim`. */
export interface Collections {
  signals: SignalRecord[];
  contacts: ContactRecord[];
  tokens: TokenRecord[];
  calls: CallRecord[];
}

/** What a valid access or refresh token stands for. */
export interface Grant {
  readonly tokenId: number;
  readonly clientId: string | null;
  readonly accessKeyId: string;
  readonly businessUnit: string;
  readonly permissions: readonly Permission[];
  /** Epoch milliseconds after which the token (access or refresh, whichever this grant backs) is refused. */
  readonly expiresAt: number;
}

/** Lifetimes of a token pair, seconds. */
export interface TokenLifetimes {
  readonly accessSeconds: number;
  readonly refreshSeconds: number;
}

/** Values handed to the client once, when a token pair is issued. */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly record: TokenRecord;
}

/** json-server's router; `render` (present at runtime, missing from its types) writes every answer. */
export type StateRouter = JsonServerRouter<Collections> & { render: (req: Request, res: Response) => void };

const emptyCollections = (): Collections => ({ signals: [], contacts: [], tokens: [], calls: [] });

/** Seed lookups plus the mutable records; `reset()` returns to the seed. */
export class SimulatorState {
  readonly seed: Seed;
  readonly faults = new FaultStore();
  /** Signal API rate limits per business unit (seeded, settable through the control API). */
  readonly rateLimits: RateLimits;
  readonly router: StateRouter;
  #accessTokens = new Map<string, Grant>();
  #refreshTokens = new Map<string, Grant>();
  #nextId = { signal: 1, token: 1, call: 1 };

  constructor(seed: Seed) {
    this.seed = seed;
    this.rateLimits = new RateLimits(new Map(seed.businessUnits.map((unit) => [unit.businessUnit, unit.rateLimit])));
    this.router = jsonServer.router<Collections>(emptyCollections()) as StateRouter;
  }

  get #data(): Collections {
    return this.router.db.getState();
  }

  /** Back to the seed: no contacts, calls, signals, tokens or faults; rate limits as seeded. */
  reset(): void {
    this.router.db.setState(emptyCollections());
    this.#accessTokens.clear();
    this.#refreshTokens.clear();
    this.#nextId = { signal: 1, token: 1, call: 1 };
    this.faults.clear();
    this.rateLimits.reset();
  }

  businessUnitByTenant(tenantId: string): BusinessUnitSeed | undefined {
    return this.seed.businessUnits.find((unit) => unit.tenantId === tenantId);
  }

  businessUnit(number: string): BusinessUnitSeed | undefined {
    return this.seed.businessUnits.find((unit) => unit.businessUnit === number);
  }

  businessUnitByPseudoNumber(pseudoNumber: string): BusinessUnitSeed | undefined {
    return this.seed.businessUnits.find((unit) => unit.pseudoNumbers.includes(pseudoNumber));
  }

  apiClient(clientId: string): ApiClientSeed | undefined {
    return this.seed.apiClients.find((client) => client.clientId === clientId);
  }

  accessKey(accessKeyId: string): AccessKeySeed | undefined {
    return this.seed.accessKeys.find((key) => key.accessKeyId === accessKeyId);
  }

  /** Issues a fresh access/refresh token pair for an access key (used through a client, or not: null). */
  issueTokens(clientId: string | null, key: AccessKeySeed, grantType: GrantType, now: number, lifetimes: TokenLifetimes): IssuedTokens {
    const accessExpiresAt = now + lifetimes.accessSeconds * 1000;
    const refreshExpiresAt = now + lifetimes.refreshSeconds * 1000;
    const record: TokenRecord = {
      id: this.#nextId.token++,
      clientId,
      accessKeyId: key.accessKeyId,
      grantType,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(accessExpiresAt).toISOString(),
      refreshExpiresAt: new Date(refreshExpiresAt).toISOString(),
    };
    const grant: Grant = {
      tokenId: record.id,
      clientId,
      accessKeyId: key.accessKeyId,
      businessUnit: key.businessUnit,
      permissions: key.permissions,
      expiresAt: accessExpiresAt,
    };
    const accessToken = randomBytes(32).toString('base64url');
    const refreshToken = randomBytes(32).toString('base64url');
    this.#accessTokens.set(accessToken, grant);
    this.#refreshTokens.set(refreshToken, { ...grant, expiresAt: refreshExpiresAt });
    this.#data.tokens.push(record);
    return { accessToken, refreshToken, record };
  }

  /** The grant behind an access token, expired or not (the caller compares with its clock). */
  grantForAccessToken(accessToken: string): Grant | undefined {
    return this.#accessTokens.get(accessToken);
  }

  /** The grant behind a refresh token, expired or not (the caller compares with its clock). */
  grantForRefreshToken(refreshToken: string): Grant | undefined {
    return this.#refreshTokens.get(refreshToken);
  }

  /** Starts an active (spawned) contact with a fresh 12-digit id, and a fresh 12-digit master id. */
  createContact(businessUnit: string, pseudoNumber: string, from: string, now: number): ContactRecord {
    const taken = (candidate: string): boolean =>
      this.#data.contacts.some((contact) => contact.id === candidate || contact.masterContactId === candidate);
    const fresh = (): string => {
      let id: string;
      do {
        id = String(randomInt(100_000_000_000, 1_000_000_000_000));
      } while (taken(id));
      return id;
    };
    const masterContactId = fresh();
    let id: string;
    do id = fresh();
    while (id === masterContactId);
    const contact: ContactRecord = {
      id,
      masterContactId,
      businessUnit,
      pseudoNumber,
      from,
      state: 'active',
      startedAt: new Date(now).toISOString(),
      endedAt: null,
    };
    this.#data.contacts.push(contact);
    return contact;
  }

  contact(contactId: string): ContactRecord | undefined {
    return this.#data.contacts.find((contact) => contact.id === contactId);
  }

  /** Ends an active contact; returns false when it was not active. */
  endContact(contactId: string, now: number): boolean {
    const contact = this.contact(contactId);
    if (contact === undefined || contact.state !== 'active') return false;
    contact.state = 'ended';
    contact.endedAt = new Date(now).toISOString();
    return true;
  }

  /** Every contact, in the order they were created. */
  allContacts(): readonly ContactRecord[] {
    return this.#data.contacts;
  }

  activeContacts(businessUnit: string): ContactRecord[] {
    return this.#data.contacts.filter((contact) => contact.businessUnit === businessUnit && contact.state === 'active');
  }

  recordSignal(signal: Omit<SignalRecord, 'id'>): SignalRecord {
    const record: SignalRecord = { id: this.#nextId.signal++, ...signal };
    this.#data.signals.push(record);
    return record;
  }

  /** The signals CXone accepted for a contact, in order. */
  signalsOf(contactId: string): SignalRecord[] {
    return this.#data.signals.filter((signal) => signal.contactId === contactId);
  }

  /** Every accepted signal, in order. */
  allSignals(): readonly SignalRecord[] {
    return this.#data.signals;
  }

  addCall(call: Omit<CallRecord, 'id'>): CallRecord {
    const record: CallRecord = { id: this.#nextId.call++, ...call };
    this.#data.calls.push(record);
    return record;
  }

  callForContact(contactId: string): CallRecord | undefined {
    return this.#data.calls.find((call) => call.contactId === contactId);
  }

  /** Records a dialog change; a call forgotten by `reset()` is ignored. */
  setDialog(callId: string, dialog: DialogState): void {
    const call = this.#data.calls.find((candidate) => candidate.callId === callId);
    if (call !== undefined) call.dialog = dialog;
  }
}

/** A fresh state over a validated seed. */
export function createSimulatorState(seed: Seed): SimulatorState {
  return new SimulatorState(seed);
}
