/**
 * Queries and mutations over handoffs: thin mappings from GraphQL arguments to `HandoffOperations`
 * (tenant from the caller's key) and from domain errors to public codes.
 */
// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { type GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData, type SubscriptionHandlerData } from 'type-graphql';
import { HandoffNotFoundError } from '../handoff/errors.js';
import { type CallOperations, type Handoff as HandoffRecord, type HandoffOperations } from '../handoff/model.js';
import { DEFAULT_PAGE_SIZE, type HandoffState as HandoffStateName, isUuid } from '../common/vocabulary.js';
import { CallLoaders } from './call-loader.js';
import { Call } from './call.type.js';
import { type GatewayContext, requireCaller } from './context.js';
import { toGraphQLError } from './errors.js';
import { HandoffConnection } from './handoff-connection.type.js';
import { HANDOFF_CHANGED } from './handoff-feed.js';
import { Handoff, HandoffState } from './handoff.type.js';
import { SignalContactInput, SignalContactPayload } from './signal-contact.input.js';
import { type InputLimits, parseContactId, parseHandoffsArgs, parseSignalInput } from './validation.js';

interface HandoffChangedArgs {
  readonly contactId?: string | null;
}

/**
 * The topic id of a `handoffChanged` subscriber: its tenant, so it is only ever handed its own
 * tenant's handoffs. Also where the subscription is authorised and its argument checked, as
 * type-graphql calls it before subscribing.
 */
function subscriberTenant({ args, context }: SubscribeResolverData<unknown, HandoffChangedArgs, GatewayContext>): string {
  const caller = requireCaller(context, 'read');
  if (args.contactId !== undefined && args.contactId !== null) parseContactId(args.contactId);
  return caller.tenant.id;
}

function matchesContact({ payload, args }: SubscriptionHandlerData<HandoffRecord, HandoffChangedArgs, GatewayContext>): boolean {
  return args.contactId === undefined || args.contactId === null || payload.contactId === args.contactId;
}

/** Rejections of the domain become public errors; anything unknown is left for `formatError` to mask. */
async function translated<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw toGraphQLError(error);
  }
}

@Resolver(() => Handoff)
export class HandoffResolver {
  readonly #handoffs: HandoffOperations;
  readonly #calls: CallLoaders;
  readonly #limits: InputLimits;

  constructor(deps: { readonly handoffs: HandoffOperations; readonly calls: CallOperations; readonly limits: InputLimits }) {
    this.#handoffs = deps.handoffs;
    this.#calls = new CallLoaders(deps.calls);
    this.#limits = deps.limits;
  }

  @Query(() => Handoff, { nullable: true, description: "Latest handoff of the caller's tenant for that contact, or null." })
  async handoffStatus(@Arg('contactId', () => String) contactId: string, @Ctx() context: GatewayContext): Promise<HandoffRecord | null> {
    const caller = requireCaller(context, 'read');
    const id = parseContactId(contactId);
    return await translated(this.#handoffs.status(caller.tenant.id, id));
  }

  @Query(() => Handoff, { nullable: true, description: "A handoff of the caller's tenant by id, or null." })
  async handoff(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<HandoffRecord | null> {
    const caller = requireCaller(context, 'read');
    if (!isUuid(id)) return null;
    return await translated(this.#handoffs.get(caller.tenant.id, id));
  }

  @Query(() => HandoffConnection, { description: "The caller's tenant's handoffs, a page at a time (first: 1..100)." })
  async handoffs(
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('state', () => HandoffState, { nullable: true }) state: HandoffStateName | null,
    @Arg('contactId', () => String, { nullable: true }) contactId: string | null,
    @Ctx() context: GatewayContext,
  ): Promise<HandoffConnection> {
    const caller = requireCaller(context, 'read');
    const query = parseHandoffsArgs({ first: first ?? DEFAULT_PAGE_SIZE, after, state, contactId });
    const page = await translated(this.#handoffs.list(caller.tenant.id, query));
    const edges = page.items.map((node, i) => ({ cursor: page.cursors[i] ?? '', node }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) ?? null } };
  }

  @Mutation(() => SignalContactPayload, {
    description: "Stores a handoff and signals the CXone contact, waiting a bounded time for CXone's answer (PENDING when it passes).",
  })
  async signalContact(@Arg('input', () => SignalContactInput) input: SignalContactInput, @Ctx() context: GatewayContext): Promise<SignalContactPayload> {
    const caller = requireCaller(context, 'signal');
    const request = parseSignalInput(input, this.#limits);
    const handoff = await translated(this.#handoffs.signal(caller.tenant.id, request));
    context.log.info(
      { contactId: handoff.contactId, handoffId: handoff.id, state: handoff.state, attempts: handoff.attempts },
      'signalContact',
    );
    return { handoff };
  }

  @Mutation(() => SignalContactPayload, { description: 'Re-runs a FAILED handoff whose cause is retryable.' })
  async retryHandoff(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<SignalContactPayload> {
    const caller = requireCaller(context, 'signal');
    if (!isUuid(id)) throw toGraphQLError(new HandoffNotFoundError());
    const handoff = await translated(this.#handoffs.retry(caller.tenant.id, id));
    context.log.info({ contactId: handoff.contactId, handoffId: handoff.id, state: handoff.state }, 'retryHandoff');
    return { handoff };
  }

  @Subscription(() => Handoff, {
    topics: HANDOFF_CHANGED,
    topicId: subscriberTenant,
    filter: matchesContact,
    description:
      "Each committed change of the caller's tenant's handoffs (creation, retry progress, outcome, retry), for one contact or all. Over graphql-ws at /graphql.",
  })
  handoffChanged(
    @Root() handoff: HandoffRecord,
    @Arg('contactId', () => String, { nullable: true }) _contactId: string | null,
  ): HandoffRecord {
    return handoff;
  }

  /** One store read per (tenant, contact) per execution, however many aliases ask (`call-loader.ts`). */
  @FieldResolver(() => Call, { nullable: true, description: 'What registerCall recorded for this contact, if anything.' })
  async call(@Root() handoff: HandoffRecord, @Ctx() context: GatewayContext, @Info() info: GraphQLResolveInfo): Promise<Call | null> {
    return await translated(this.#calls.load(handoff.tenantId, handoff.contactId, context, info));
  }
}
