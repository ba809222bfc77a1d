/**
 * `npm start`: the dev stack (scripts/dev-stack.ts) on fixed ports: the CXone simulator on SIM_PORT
 * (4010) and the gateway on PORT (4000), with the embedded PGlite store in DATA_DIR (`./.data`).
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../src/config/config.js';
import { DEMO } from '../simulator/index.js';
import { DEV_KEYS, startDevStack } from './dev-stack.js';
import { createProgress } from './progress.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<void> {
  let stack;
  const progress = createProgress({ write: (line) => console.log(line) });
  try {
    stack = await startDevStack({
      port: Number(process.env.PORT ?? 4000),
      simPort: Number(process.env.SIM_PORT ?? 4010),
      dataDir: process.env.DATA_DIR ?? join(root, '.data'),
      tenantsFile: join(root, 'config', 'tenants.dev.json'),
      env: process.env,
      // As the gateway's bin does: pino-pretty at a terminal, JSON when piped, LOG_PRETTY decides when set.
      prettyLogs: process.env.LOG_PRETTY === undefined ? process.stdout.isTTY === true : /^(true|1|on|yes)$/i.test(process.env.LOG_PRETTY.trim()),
      progress,
    });
  } catch (error) {
    progress.done();
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  progress.done();

  // Before the banner: whoever waits for it (a test, a supervisor) may stop the stack at once, and
  // a SIGTERM that arrived before the handler would kill the process with the stack still open.
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void stack.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const { simulatorUrl: sim, graphqlUrl: graphql, exampleContactId } = stack;
  console.log(`
CXone simulator  ${sim}
Gateway          ${graphql}   (explorer: open ${stack.gatewayUrl}/ in a browser)
Agent desktop    ${stack.desktopUrl}   (live calls, their timelines and screen-pops)
Keys             signal: ${DEV_KEYS.signal}   read: ${DEV_KEYS.read}
Example call     contact ${exampleContactId} is active on the simulator; the explorer's examples use it

Try it:
  CONTACT=$(curl -s -X POST ${sim}/_sim/calls -H 'content-type: application/json' \\
    -d '{"pseudoNumber":"${DEMO.pseudoNumber}"}' | sed -E 's/.*"contactId":"([0-9]+)".*/\\1/')
  curl -s ${graphql} -H 'content-type: application/json' -H 'authorization: Bearer ${DEV_KEYS.signal}' \\
    -d '{"query":"mutation($c:String!){signalContact(input:{contactId:$c,params:[\\"billing\\"]}){handoff{id state params}}}","variables":{"c":"'$CONTACT'"}}'
  curl -s "${sim}/_sim/signals?contactId=$CONTACT"
`);
}

main().catch((error: unknown) => {
  console.error('dev launcher failed:', error);
  process.exit(1);
});
