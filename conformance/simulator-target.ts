/**
 * The simulator as a conformance target: started on port 0 with the demo seed (and, for the
 * negative test, a mutated wire profile), with one active call whose contact the kit may signal.
 */
import { DEMO, startSimulator, type RunningSimulator, type WireProfile } from '../simulator/index.js';
import { type ConformanceTarget } from './context.js';

export interface SimulatorTarget {
  readonly simulator: RunningSimulator;
  readonly target: ConformanceTarget;
}

export async function startSimulatorTarget(profile: Partial<WireProfile> = {}): Promise<SimulatorTarget> {
  const simulator = await startSimulator({ port: 0, profile });
  try {
    const response = await fetch(`${simulator.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }),
    });
    if (response.status !== 201) throw new Error(`the simulator did not create a call: ${response.status} ${await response.text()}`);
    const { contactId } = (await response.json()) as { contactId: string };
    return {
      simulator,
      target: {
        mode: 'simulator',
        issuer: simulator.url,
        tenantId: DEMO.tenantId,
        clientId: DEMO.clientId,
        clientSecret: DEMO.clientSecret,
        accessKeyId: DEMO.accessKeyId,
        accessKeySecret: DEMO.accessKeySecret,
        contactId,
      },
    };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}
