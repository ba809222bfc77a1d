// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What registerCall recorded from the SIP INVITE of a call.', simpleResolvers: true })
export class Call {
  @Field(() => String, { description: "CXone contact id carried by the INVITE: the contact to signal, from the first of the tenant's contactIdHeaders present." })
  readonly contactId!: string;

  @Field(() => String, { description: "The tenant's E.164 pseudo number the call was sent to." })
  readonly pseudoNumber!: string;

  @Field(() => String, { nullable: true, description: "The caller's number or URI (From)." })
  readonly from!: string | null;

  @Field(() => String, { nullable: true })
  readonly sipCallId!: string | null;

  @Field(() => DateTimeResolver)
  readonly receivedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Master contact id (X-InContact-MasterId). CXone signals a spawned contact whose own id (contactId) differs from its master. Null when the INVITE has none or an unusable one (see warnings).',
  })
  readonly masterContactId!: string | null;

  @Field(() => JSONResolver, {
    nullable: true,
    description:
      'Bot context CXone sent as JSON: { standard: X-CXone, custom: X-CXone-Custom, extended: X-CXone-Extended }, each the parsed header or null when absent or unusable (see warnings). Null for calls recorded before the gateway kept it.',
  })
  readonly cxoneContext!: unknown;

  @Field(() => [String], {
    description: 'Headers the INVITE carried that could not be kept (a bad master id, context JSON that is malformed, too large or too deep), one line each naming the header. The call is recorded anyway.',
  })
  readonly warnings!: readonly string[];
}
