/**
 * What the agent desktop (`GET /_sim/desktop`, docs/simulator.md "Agent desktop") shows of the
 * simulated tenant: its calls, newest first, each with the contact's timeline as events (the call
 * reaching the voice agent, each signal CXone accepted and what the Studio script's Onsignal did
 * with it, the agent answering, the contact ending). Computed on read from the state and the
 * injected clock, like the timeline route.
 */
import { type SimulatorState } from './state.js';
import { contactTimeline, DEFAULT_SCRIPT, type ContactTimeline } from './timeline.js';

/** Kinds of timeline event, in the order a call goes through them. */
export const DESKTOP_EVENT_KINDS = ['call', 'signal', 'onsignal', 'agent', 'ended'] as const;
export type DesktopEventKind = (typeof DESKTOP_EVENT_KINDS)[number];

export interface DesktopEvent {
  readonly at: string;
  readonly kind: DesktopEventKind;
  readonly text: string;
}

export interface DesktopCall {
  readonly contactId: string;
  readonly masterContactId: string;
  readonly businessUnit: string;
  readonly pseudoNumber: string;
  readonly from: string;
  readonly state: 'active' | 'ended';
  readonly startedAt: string;
  /** Number of signals CXone accepted for the contact (the page fetches a screen-pop once there is one). */
  readonly signals: number;
  readonly events: readonly DesktopEvent[];
}

/** Most calls the desktop lists. */
export const DESKTOP_MAX_CALLS = 20;

/** The timeline of one contact as events, in time order (events at the same time keep the call's order). */
export function desktopEvents(timeline: ContactTimeline, call: { readonly startedAt: string; readonly from: string }): DesktopEvent[] {
  const events: DesktopEvent[] = [{ at: call.startedAt, kind: 'call', text: `Call from ${call.from} to ${timeline.pseudoNumber}, routed to the voice agent` }];
  for (const signal of timeline.signals) {
    const params = signal.params.map((value, index) => `p${index + 1}=${value}`).join(', ');
    events.push({ at: signal.receivedAt, kind: 'signal', text: `Signal ${signal.signalId} received: ${params || 'no params'}${signal.duplicate ? ' (same params as an earlier signal)' : ''}` });
    const outcome =
      signal.onSignal === 'ran'
        ? 'Onsignal ran: the script routes the call to an agent'
        : signal.onSignal === 'interrupted'
          ? `Onsignal interrupted by signal ${signal.interruptedBy ?? '?'}`
          : 'Onsignal: none in this script, the signal is ignored';
    events.push({ at: signal.receivedAt, kind: 'onsignal', text: outcome });
  }
  if (timeline.agentConnectedAt !== null) events.push({ at: timeline.agentConnectedAt, kind: 'agent', text: 'Agent connected' });
  if (timeline.endedAt !== null) events.push({ at: timeline.endedAt, kind: 'ended', text: 'Contact ended' });
  // A stable sort: the order above breaks ties (a signal before its Onsignal).
  return events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The calls the desktop shows: every contact of the simulator, newest first, at most {@link DESKTOP_MAX_CALLS}. */
export function desktopCalls(state: SimulatorState, now: number): DesktopCall[] {
  return [...state.allContacts()]
    .reverse()
    .slice(0, DESKTOP_MAX_CALLS)
    .map((contact) => {
      const script = state.businessUnit(contact.businessUnit)?.scripts[contact.pseudoNumber] ?? DEFAULT_SCRIPT;
      const signals = state.signalsOf(contact.id);
      const timeline = contactTimeline(contact, signals, script, now);
      return {
        contactId: contact.id,
        masterContactId: contact.masterContactId,
        businessUnit: contact.businessUnit,
        pseudoNumber: contact.pseudoNumber,
        from: contact.from,
        state: contact.state,
        startedAt: contact.startedAt,
        signals: signals.length,
        events: desktopEvents(timeline, contact),
      };
    });
}
