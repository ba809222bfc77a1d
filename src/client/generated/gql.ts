/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation RegisterCall($sipInvite: String!) {\n  registerCall(sipInvite: $sipInvite) {\n    contactId\n    masterContactId\n    pseudoNumber\n    from\n    sipCallId\n    receivedAt\n    cxoneContext\n    warnings\n  }\n}": typeof types.RegisterCallDocument,
    "fragment HandoffFields on Handoff {\n  id\n  contactId\n  state\n  params\n  context\n  attempts\n  lastError {\n    code\n    message\n    upstreamStatus\n    at\n  }\n  createdAt\n  updatedAt\n  signaledAt\n}\n\nmutation SignalContact($input: SignalContactInput!) {\n  signalContact(input: $input) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nmutation RetryHandoff($id: ID!) {\n  retryHandoff(id: $id) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nquery HandoffStatus($contactId: String!) {\n  handoffStatus(contactId: $contactId) {\n    ...HandoffFields\n    call {\n      contactId\n      pseudoNumber\n      from\n      sipCallId\n      receivedAt\n    }\n  }\n}\n\nquery Handoff($id: ID!) {\n  handoff(id: $id) {\n    ...HandoffFields\n  }\n}\n\nquery Handoffs($first: Int, $after: String, $state: HandoffState, $contactId: String) {\n  handoffs(first: $first, after: $after, state: $state, contactId: $contactId) {\n    edges {\n      cursor\n      node {\n        ...HandoffFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.HandoffFieldsFragmentDoc,
};
const documents: Documents = {
    "mutation RegisterCall($sipInvite: String!) {\n  registerCall(sipInvite: $sipInvite) {\n    contactId\n    masterContactId\n    pseudoNumber\n    from\n    sipCallId\n    receivedAt\n    cxoneContext\n    warnings\n  }\n}": types.RegisterCallDocument,
    "fragment HandoffFields on Handoff {\n  id\n  contactId\n  state\n  params\n  context\n  attempts\n  lastError {\n    code\n    message\n    upstreamStatus\n    at\n  }\n  createdAt\n  updatedAt\n  signaledAt\n}\n\nmutation SignalContact($input: SignalContactInput!) {\n  signalContact(input: $input) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nmutation RetryHandoff($id: ID!) {\n  retryHandoff(id: $id) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nquery HandoffStatus($contactId: String!) {\n  handoffStatus(contactId: $contactId) {\n    ...HandoffFields\n    call {\n      contactId\n      pseudoNumber\n      from\n      sipCallId\n      receivedAt\n    }\n  }\n}\n\nquery Handoff($id: ID!) {\n  handoff(id: $id) {\n    ...HandoffFields\n  }\n}\n\nquery Handoffs($first: Int, $after: String, $state: HandoffState, $contactId: String) {\n  handoffs(first: $first, after: $after, state: $state, contactId: $contactId) {\n    edges {\n      cursor\n      node {\n        ...HandoffFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.HandoffFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RegisterCall($sipInvite: String!) {\n  registerCall(sipInvite: $sipInvite) {\n    contactId\n    masterContactId\n    pseudoNumber\n    from\n    sipCallId\n    receivedAt\n    cxoneContext\n    warnings\n  }\n}"): (typeof documents)["mutation RegisterCall($sipInvite: String!) {\n  registerCall(sipInvite: $sipInvite) {\n    contactId\n    masterContactId\n    pseudoNumber\n    from\n    sipCallId\n    receivedAt\n    cxoneContext\n    warnings\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment HandoffFields on Handoff {\n  id\n  contactId\n  state\n  params\n  context\n  attempts\n  lastError {\n    code\n    message\n    upstreamStatus\n    at\n  }\n  createdAt\n  updatedAt\n  signaledAt\n}\n\nmutation SignalContact($input: SignalContactInput!) {\n  signalContact(input: $input) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nmutation RetryHandoff($id: ID!) {\n  retryHandoff(id: $id) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nquery HandoffStatus($contactId: String!) {\n  handoffStatus(contactId: $contactId) {\n    ...HandoffFields\n    call {\n      contactId\n      pseudoNumber\n      from\n      sipCallId\n      receivedAt\n    }\n  }\n}\n\nquery Handoff($id: ID!) {\n  handoff(id: $id) {\n    ...HandoffFields\n  }\n}\n\nquery Handoffs($first: Int, $after: String, $state: HandoffState, $contactId: String) {\n  handoffs(first: $first, after: $after, state: $state, contactId: $contactId) {\n    edges {\n      cursor\n      node {\n        ...HandoffFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["fragment HandoffFields on Handoff {\n  id\n  contactId\n  state\n  params\n  context\n  attempts\n  lastError {\n    code\n    message\n    upstreamStatus\n    at\n  }\n  createdAt\n  updatedAt\n  signaledAt\n}\n\nmutation SignalContact($input: SignalContactInput!) {\n  signalContact(input: $input) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nmutation RetryHandoff($id: ID!) {\n  retryHandoff(id: $id) {\n    handoff {\n      ...HandoffFields\n    }\n  }\n}\n\nquery HandoffStatus($contactId: String!) {\n  handoffStatus(contactId: $contactId) {\n    ...HandoffFields\n    call {\n      contactId\n      pseudoNumber\n      from\n      sipCallId\n      receivedAt\n    }\n  }\n}\n\nquery Handoff($id: ID!) {\n  handoff(id: $id) {\n    ...HandoffFields\n  }\n}\n\nquery Handoffs($first: Int, $after: String, $state: HandoffState, $contactId: String) {\n  handoffs(first: $first, after: $after, state: $state, contactId: $contactId) {\n    edges {\n      cursor\n      node {\n        ...HandoffFields\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;