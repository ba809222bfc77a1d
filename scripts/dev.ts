/**
 * `npm start`: the CXone simulator and the gateway on loopback, wired to the demo tenant of
 * `config/tenants.dev.json` (its CXone credentials come from the simulator's demo seed through the
 * `env:` references set here), with the embedded PGlite store in `./.data`.
 * PORT (4000) and SIM_PORT (4010) override the ports.
 */
import 'reflect-metadata';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/http/logger.js';
import { startGateway } from '../src/main.js';
import { DEMO, startSimulator } from '../simulator/index.js';

const DEV_KEYS = { signal: 'dev-signal-key', read: 'dev-read-key' };
const root = fileURLToPath(new URL('../../', import.meta.url));
const committedTenants = join(root, 'config', 'tenants.dev.json');

async function main(): Promise<void> {
  const simPort = Number(process.env.SIM_PORT ?? 4010);
  const log = createLogger({ level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info' });
  const simulator = await startSimulator({ port: simPort, host: '127.0.0.1', log: log.child({ component: 'simulator' }) });

  // The committed file names the simulator at :4010; another SIM_PORT gets a copy pointing there.
  let tenantsFile = process.env.TENANTS_FILE ?? committedTenants;
  if (!process.env.TENANTS_FILE && simulator.url !== 'http://127.0.0.1:4010') {
    const file = JSON.parse(await readFile(committedTenants, 'utf8')) as { tenants: { cxone: { issuer: string } }[] };
    for (const tenant of file.tenants) tenant.cxone.issuer = simulator.url;
    tenantsFile = join(await mkdtemp(join(tmpdir(), 'cxgw-dev-')), 'tenants.json');
    await writeFile(tenantsFile, JSON.stringify(file, null, 2));
  }

  const env = {
    DATA_DIR: join(root, '.data'),
    ...process.env,
    TENANTS_FILE: tenantsFile,
    DEMO_CXONE_CLIENT_ID: DEMO.clientId,
    DEMO_CXONE_CLIENT_SECRET: DEMO.clientSecret,
    DEMO_CXONE_ACCESS_KEY_ID: DEMO.accessKeyId,
    DEMO_CXONE_ACCESS_KEY_SECRET: DEMO.accessKeySecret,
  };
  let config;
  try {
    config = loadConfig(env, { readFile: (path) => readFileSync(path, 'utf8') });
  } catch (error) {
    await simulator.close();
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const gateway = await startGateway(config, {
    log,
    explorerTabs: [
      {
        query: '# Make a call first:\n#   curl -s -X POST ' + simulator.url + '/_sim/calls -H "content-type: application/json" -d \'{"pseudoNumber":"' + DEMO.pseudoNumber + '"}\'\nmutation Signal($input: SignalContactInput!) {\n  signalContact(input: $input) {\n    handoff { id contactId state params context attempts lastError { code message } }\n  }\n}\n',
        variables: '{ "input": { "contactId": "<contactId from /_sim/calls>", "params": ["billing", "gold"], "context": { "intent": "billing" } } }',
        headers: JSON.stringify({ Authorization: `Bearer ${DEV_KEYS.signal}` }),
      },
      {
        query: 'query Status($contactId: String!) {\n  handoffStatus(contactId: $contactId) { id state params context call { from sipCallId } }\n}\n',
        variables: '{ "contactId": "<contactId>" }',
        headers: JSON.stringify({ Authorization: `Bearer ${DEV_KEYS.read}` }),
      },
    ],
  });

  const graphql = `${gateway.url}/graphql`;
  console.log(`
CXone simulator  ${simulator.url}
Gateway          ${graphql}   (explorer: open ${gateway.url}/ in a browser)
Keys             signal: ${DEV_KEYS.signal}   read: ${DEV_KEYS.read}

Try it:
  CONTACT=$(curl -s -X POST ${simulator.url}/_sim/calls -H 'content-type: application/json' \\
    -d '{"pseudoNumber":"${DEMO.pseudoNumber}"}' | sed -E 's/.*"contactId":"([0-9]+)".*/\\1/')
  curl -s ${graphql} -H 'content-type: application/json' -H 'authorization: Bearer ${DEV_KEYS.signal}' \\
    -d '{"query":"mutation($c:String!){signalContact(input:{contactId:$c,params:[\\"billing\\"]}){handoff{id state params}}}","variables":{"c":"'$CONTACT'"}}'
  curl -s "${simulator.url}/_sim/signals?contactId=$CONTACT"
`);

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    void (async () => {
      await gateway.close();
      await simulator.close();
      process.exit(0);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('dev launcher failed:', error);
  process.exit(1);
});
