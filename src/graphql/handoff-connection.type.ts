// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';
import { Handoff } from './handoff.type.js';

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean)
  readonly hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  readonly endCursor!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class HandoffEdge {
  @Field(() => String)
  readonly cursor!: string;

  @Field(() => Handoff)
  readonly node!: Handoff;
}

@ObjectType({ description: 'A page of handoffs (Relay-style connection).', simpleResolvers: true })
export class HandoffConnection {
  @Field(() => [HandoffEdge])
  readonly edges!: readonly HandoffEdge[];

  @Field(() => PageInfo)
  readonly pageInfo!: PageInfo;
}
