// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { DateTimeResolver } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Why the last CXone attempt failed (set on FAILED, and on PENDING while retrying).', simpleResolvers: true })
export class HandoffError {
  @Field(() => String, { description: 'CXONE_CONTACT_NOT_FOUND, CXONE_BAD_REQUEST, CXONE_AUTH_FAILED, CXONE_UNAVAILABLE, CXONE_THROTTLED, CXONE_TIMEOUT, CXONE_CIRCUIT_OPEN or RETRIES_EXHAUSTED.' })
  readonly code!: string;

  @Field(() => String)
  readonly message!: string;

  @Field(() => Int, { nullable: true, description: 'HTTP status CXone answered, when it answered.' })
  readonly upstreamStatus!: number | null;

  @Field(() => DateTimeResolver)
  readonly at!: Date;
}
