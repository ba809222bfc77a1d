// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { HandoffError } from './handoff-error.type.js';

/** The lifecycle of a handoff (DESIGN §7). */
export enum HandoffState {
  PENDING = 'PENDING',
  SIGNALED = 'SIGNALED',
  FAILED = 'FAILED',
}

registerEnumType(HandoffState, {
  name: 'HandoffState',
  valuesConfig: {
    PENDING: { description: 'Stored; CXone not (yet) signaled. The retry worker keeps trying within the budget.' },
    SIGNALED: { description: 'CXone accepted the signal.' },
    FAILED: { description: 'Final failure or budget spent; lastError says why.' },
  },
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
  readonly state!: `${HandoffState}`;

  @Field(() => [String], { description: 'p1..p9 in order, as sent to CXone.' })
  readonly params!: readonly string[];

  @Field(() => JSONResolver, { nullable: true, description: 'Richer data kept by the gateway for screen-pop.' })
  readonly context!: unknown;

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
