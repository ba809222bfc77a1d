// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { DateTimeResolver } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'What registerCall recorded from the SIP INVITE of a call.', simpleResolvers: true })
export class Call {
  @Field(() => String, { description: 'CXone contact id carried by the INVITE.' })
  readonly contactId!: string;

  @Field(() => String, { description: "The tenant's E.164 pseudo number the call was sent to." })
  readonly pseudoNumber!: string;

  @Field(() => String, { nullable: true, description: "The caller's number or URI (From)." })
  readonly from!: string | null;

  @Field(() => String, { nullable: true })
  readonly sipCallId!: string | null;

  @Field(() => DateTimeResolver)
  readonly receivedAt!: Date;
}
