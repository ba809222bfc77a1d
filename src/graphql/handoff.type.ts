// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { HANDOFF_STATES, type HandoffState as HandoffStateName } from '../common/vocabulary.js';
import { HandoffError } from './handoff-error.type.js';

/** The lifecycle of a handoff (docs/architecture.md), as the enum object type-graphql registers. */
export const HandoffState = Object.freeze(Object.fromEntries(HANDOFF_STATES.map((s) => [s, s]))) as { readonly [S in HandoffStateName]: S };

/** One description per state; a state added to the vocabulary without one fails to compile. */
const STATE_DESCRIPTIONS: Readonly<Record<HandoffStateName, string>> = {
  PENDING: 'Stored; CXone not (yet) signaled. The retry worker keeps trying within the budget.',
  SIGNALED: 'CXone accepted the signal.',
  FAILED: 'Final failure or budget spent; lastError says why.',
};

registerEnumType(HandoffState, {
  name: 'HandoffState',
  valuesConfig: Object.fromEntries(HANDOFF_STATES.map((s) => [s, { description: STATE_DESCRIPTIONS[s] }])),
});

// simpleResolvers: plain properties get graphql's default resolver, not a type-graphql wrapper per
// field per request (the gateway uses no middlewares or auth checker that the wrapper would run).
@ObjectType({ description: 'One signal of a CXone contact, with the data kept for screen-pop.', simpleResolvers: true })
export class Handoff {
  @Field(() => ID)
  readonly id!: string;

  @Field(() => String)
  readonly contactId!: string;

  @Field(() => HandoffState)
  readonly state!: HandoffStateName;

  @Field(() => [String], { description: 'p1..p9 in order, as sent to CXone.' })
  readonly params!: readonly string[];

  @Field(() => JSONResolver, { nullable: true, description: 'Richer data kept by the gateway for screen-pop.' })
  readonly context!: unknown;

  @Field(() => String, { nullable: true, description: 'The sharedId given to signalContact, if any (the Handoff API matches it as shared_id).' })
  readonly sharedId!: string | null;

  @Field(() => String, { nullable: true, description: 'The conversationId given to signalContact, if any (the Handoff API matches it as id).' })
  readonly conversationId!: string | null;

  @Field(() => Int, { description: 'Signal API requests made so far.' })
  readonly attempts!: number;

  @Field(() => HandoffError, { nullable: true })
  readonly lastError!: HandoffError | null;

  @Field(() => DateTimeResolver)
  readonly createdAt!: Date;

  @Field(() => DateTimeResolver)
  readonly updatedAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true })
  readonly signaledAt!: Date | null;
}
