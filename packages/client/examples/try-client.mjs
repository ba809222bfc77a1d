// Signals a CXone contact through the gateway and reads the handoff back, with the typed client.
// GATEWAY_URL (default http://127.0.0.1:4000/graphql), SIGNAL_KEY, READ_KEY and CONTACT_ID (a live
// contact: with `npm start`, `POST http://127.0.0.1:4010/_sim/calls` makes one) come from the environment.
import { createGatewayClient, GatewayRequestError, HandoffStatusDocument, SignalContactDocument } from '@cxone-gateway/client';

const url = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
const contactId = process.env.CONTACT_ID;
if (!contactId) throw new Error('Set CONTACT_ID to a live CXone contact id.');

const agent = createGatewayClient({ url, key: process.env.SIGNAL_KEY ?? 'dev-signal-key' });
const { signalContact } = await agent.request(SignalContactDocument, {
  input: { contactId, params: ['billing', 'gold'], context: { intent: 'billing' } },
});
console.log('signalled:', signalContact.handoff.state);

const screenPop = createGatewayClient({ url, key: process.env.READ_KEY ?? 'dev-read-key' });
const { handoffStatus } = await screenPop.request(HandoffStatusDocument, { contactId });
console.log('screen-pop reads:', handoffStatus?.state, handoffStatus?.params.join(','), JSON.stringify(handoffStatus?.context));

try {
  await screenPop.request(HandoffStatusDocument, { contactId }, { key: 'not-a-key' });
} catch (error) {
  if (!(error instanceof GatewayRequestError)) throw error;
  console.log('a wrong key:', error.code, error.status);
}
