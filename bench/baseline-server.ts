/**
 * Child process: stock Apollo Server 5 answering `{ __typename }`, on fastify
 * (`@as-integrations/fastify`, the gateway's integration) or on express 5
 * (`@as-integrations/express5`), chosen by argv[2]. Default Apollo options, no logger: the
 * baseline every gateway figure is divided by. Sends `{ url }` to the parent once listening.
 */
import { type AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import express from 'express';
import Fastify from 'fastify';

const typeDefs = /* GraphQL */ `
  type Query {
    ok: Boolean
  }
`;

async function startFastify(): Promise<string> {
  const app = Fastify();
  const apollo = new ApolloServer({ typeDefs, plugins: [fastifyApolloDrainPlugin(app)] });
  await apollo.start();
  app.route({ method: ['GET', 'POST', 'OPTIONS'], url: '/graphql', handler: fastifyApolloHandler(apollo) });
  return await app.listen({ port: 0, host: '127.0.0.1' });
}

async function startExpress(): Promise<string> {
  const app = express();
  const apollo = new ApolloServer({ typeDefs });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  return await new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const kind = process.argv[2];
const url = kind === 'express5' ? await startExpress() : kind === 'fastify' ? await startFastify() : null;
if (url === null) throw new Error(`baseline-server: unknown integration ${kind ?? ''} (fastify | express5)`);
process.send?.({ url });
process.on('SIGTERM', () => process.exit(0));
