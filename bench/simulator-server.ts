/** Child process: the CXone simulator on a free loopback port; sends `{ url }` to the parent. */
import { startSimulator } from '../simulator/index.js';

const simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
process.send?.({ url: simulator.url });
process.on('SIGTERM', () => {
  void simulator.close().finally(() => process.exit(0));
});
