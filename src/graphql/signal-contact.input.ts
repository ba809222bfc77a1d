// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { JSONResolver } from 'graphql-scalars';
import { Field, InputType, ObjectType } from 'type-graphql';
import { Handoff } from './handoff.type.js';

@InputType({
  description:
    'What to signal to a CXone contact. Limits: contactId 1..20 digits; at most 9 params without control characters; bounded context; idempotencyKey, sharedId and conversationId 1..128 printable ASCII (sharedId and conversationId without leading or trailing spaces).',
})
export class SignalContactInput {
  @Field(() => String, { description: 'CXone contact id (digits).' })
  readonly contactId!: string;

  @Field(() => [String], { nullable: true, description: 'p1..p9 in order; at most 9.' })
  readonly params?: readonly string[] | null;

  @Field(() => JSONResolver, { nullable: true, description: 'Richer data kept for screen-pop (bounded size).' })
  readonly context?: unknown;

  @Field(() => String, { nullable: true, description: 'Same key + same input returns the same handoff and signals once.' })
  readonly idempotencyKey?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "An id shared with screen-pop tools: the REST Handoff API's shared_id finds the handoff by it (as it does by the contact id).",
  })
  readonly sharedId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The voice agent's conversation id: the REST Handoff API's id finds the handoff by it (as it does by the handoff id).",
  })
  readonly conversationId?: string | null;
}

@ObjectType({ simpleResolvers: true })
export class SignalContactPayload {
  @Field(() => Handoff)
  readonly handoff!: Handoff;
}
