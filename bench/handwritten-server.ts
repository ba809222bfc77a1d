/**
 * Child process: the hand-written peer of the gateway (issue 14), the figure the gateway's CPU per
 * request is divided by. The minimal correct implementation of the same two operations: stock
 * Apollo Server 5 on fastify (the gateway's integration), the same PGlite version in its own data
 * directory, the CXone token fetched once and cached, `signalContact` as one INSERT, one POST to
 * the Signal API and one UPDATE (statements prepared by PGlite's extended protocol), and
 * `handoffStatus` as one indexed SELECT. No retries, no idempotency, no leases, no logging, no
 * API-key hashing beyond one string compare: what someone would write in an afternoon.
 *
 *   argv: <simulator url> <data dir> <client id> <client secret> <access key id> <access key secret> <api key>
 *
 * Sends `{ url }` to the parent once listening.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { GraphQLError } from 'graphql';
import { Agent, request } from 'undici';

const [simulatorUrl, dataDir, clientId, clientSecret, accessKeyId, accessKeySecret, apiKey] = process.argv.slice(2);
if (apiKey === undefined) throw new Error('handwritten-server: usage <simulator url> <data dir> <client id> <client secret> <access key id> <access key secret> <api key>');

const typeDefs = /* GraphQL */ `
  type Handoff {
    id: ID!
    state: String!
    params: [String!]!
    attempts: Int!
    createdAt: String!
  }
  type SignalContactPayload {
    handoff: Handoff!
  }
  scalar JSON
  input SignalContactInput {
    contactId: String!
    params: [String!]!
    context: JSON
  }
  type Query {
    handoffStatus(contactId: String!): Handoff
  }
  type Mutation {
    signalContact(input: SignalContactInput!): SignalContactPayload!
  }
`;

interface Row {
  readonly id: string;
  readonly state: string;
  readonly params: string[];
  readonly attempts: number;
  readonly created_at: Date;
}

const db = new PGlite(dataDir, { postgresqlconf: ['shared_buffers=16MB'] });
await db.exec(`
  CREATE TABLE IF NOT EXISTS handoffs (
    id uuid PRIMARY KEY, contact_id text NOT NULL, state text NOT NULL, params text[] NOT NULL,
    context text, attempts int NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
  CREATE INDEX IF NOT EXISTS handoffs_contact ON handoffs (contact_id, created_at DESC);
`);

const cxone = new Agent({ connections: 64 });

async function fetchToken(): Promise<string> {
  const res = await request(`${simulatorUrl}/auth/token`, {
    dispatcher: cxone,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'password', username: accessKeyId ?? '', password: accessKeySecret ?? '' }).toString(),
  });
  if (res.statusCode !== 200) throw new Error(`token: HTTP ${res.statusCode}`);
  return ((await res.body.json()) as { access_token: string }).access_token;
}
const token = await fetchToken();

const toHandoff = (r: Row) => ({ id: r.id, state: r.state, params: r.params, attempts: r.attempts, createdAt: r.created_at.toISOString() });

const resolvers = {
  Query: {
    async handoffStatus(_: unknown, args: { contactId: string }) {
      const { rows } = await db.query<Row>('SELECT id, state, params, attempts, created_at FROM handoffs WHERE contact_id = $1 ORDER BY created_at DESC LIMIT 1', [args.contactId]);
      return rows[0] === undefined ? null : toHandoff(rows[0]);
    },
  },
  Mutation: {
    async signalContact(_: unknown, args: { input: { contactId: string; params: string[]; context?: unknown } }) {
      const { contactId, params, context } = args.input;
      const id = randomUUID();
      const now = new Date();
      // Committed before CXone is called, as the gateway does.
      await db.query("INSERT INTO handoffs (id, contact_id, state, params, context, attempts, created_at, updated_at) VALUES ($1, $2, 'PENDING', $3, $4, 0, $5, $5)", [
        id,
        contactId,
        params,
        context === undefined || context === null ? null : JSON.stringify(context),
        now,
      ]);
      const query = params.map((p, i) => `p${i + 1}=${encodeURIComponent(p)}`).join('&');
      const res = await request(`${simulatorUrl}/incontactapi/services/v30.0/interactions/${encodeURIComponent(contactId)}/signal?${query}`, {
        dispatcher: cxone,
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      await res.body.dump();
      const state = res.statusCode === 202 ? 'SIGNALED' : 'FAILED';
      const { rows } = await db.query<Row>('UPDATE handoffs SET state = $2, attempts = 1, updated_at = $3 WHERE id = $1 RETURNING id, state, params, attempts, created_at', [id, state, new Date()]);
      const row = rows[0];
      if (row === undefined) throw new GraphQLError('handoff vanished');
      return { handoff: toHandoff(row) };
    },
  },
};

const app = Fastify();
const apollo = new ApolloServer({ typeDefs, resolvers, plugins: [fastifyApolloDrainPlugin(app)] });
await apollo.start();
const bearer = `Bearer ${apiKey}`;
app.addHook('onRequest', async (req, reply) => {
  if (req.headers.authorization !== bearer) await reply.code(401).send({ errors: [{ message: 'unauthorized' }] });
});
app.route({ method: ['GET', 'POST'], url: '/graphql', handler: fastifyApolloHandler(apollo) });
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ url });
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => db.close())
    .finally(() => process.exit(0));
});
