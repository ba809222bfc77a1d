/** The conformance kit: the CXone wire facts as one executable list, run against the simulator or a real tenant. */
export { ConformanceContext, DEFAULT_MISSING_CONTACT_ID, SIGNAL_P1, type ConformanceTarget, type TargetMode } from './context.js';
export { FACTS, type Fact, type Outcome } from './facts.js';
export { formatTable, runConformance, type ConformanceReport, type FactResult } from './run.js';
export { startSimulatorTarget, type SimulatorTarget } from './simulator-target.js';
