/**
 * The agent desktop's timeline events (simulator/desktop.ts `desktopEvents`): what each Onsignal
 * outcome reads as, duplicates named, events in time order with a signal before its Onsignal.
 */
import { describe, expect, it } from 'vitest';
import { desktopEvents } from '../../simulator/desktop.js';
import { type ContactTimeline } from '../../simulator/timeline.js';

const base: ContactTimeline = {
  contactId: '1',
  pseudoNumber: '+15550100001',
  script: { onSignal: true, agentAnswersAfterMs: 5_000 },
  signals: [],
  duplicates: 0,
  agentConnectedAt: null,
  endedAt: null,
};
const call = { startedAt: '2026-01-01T00:00:00.000Z', from: '+15557654321' };

describe('agent desktop timeline events', () => {
  it('reads an interrupted Onsignal, a duplicate that ran, the agent and the end, in time order', () => {
    const events = desktopEvents(
      {
        ...base,
        signals: [
          { signalId: 7, receivedAt: '2026-01-01T00:00:01.000Z', params: ['billing'], onSignal: 'interrupted', interruptedBy: 8, duplicate: false },
          { signalId: 8, receivedAt: '2026-01-01T00:00:02.000Z', params: ['billing'], onSignal: 'ran', interruptedBy: null, duplicate: true },
        ],
        duplicates: 1,
        agentConnectedAt: '2026-01-01T00:00:07.000Z',
        endedAt: '2026-01-01T00:00:09.000Z',
      },
      call,
    );
    expect(events.map((event) => [event.kind, event.text])).toEqual([
      ['call', 'Call from +15557654321 to +15550100001, routed to the voice agent'],
      ['signal', 'Signal 7 received: p1=billing'],
      ['onsignal', 'Onsignal interrupted by signal 8'],
      ['signal', 'Signal 8 received: p1=billing (same params as an earlier signal)'],
      ['onsignal', 'Onsignal ran: the script routes the call to an agent'],
      ['agent', 'Agent connected'],
      ['ended', 'Contact ended'],
    ]);
  });

  it('reads a script without Onsignal as ignoring the signal, and a signal without params', () => {
    const events = desktopEvents(
      { ...base, script: { onSignal: false, agentAnswersAfterMs: 5_000 }, signals: [{ signalId: 1, receivedAt: '2026-01-01T00:00:01.000Z', params: [], onSignal: 'ignored', interruptedBy: null, duplicate: false }] },
      call,
    );
    expect(events.slice(1).map((event) => event.text)).toEqual(['Signal 1 received: no params', 'Onsignal: none in this script, the signal is ignored']);
  });
});
