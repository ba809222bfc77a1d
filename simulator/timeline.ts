/**
 * What a contact's Studio script would have done with the signals CXone accepted (docs/simulator.md,
 * "Studio script and contact timeline"). A Signal 2xx only means CXone took it; the script acts on it
 * only if it waits in an Onsignal, and a second signal arriving within `INTERRUPT_WINDOW_MS` of the
 * first interrupts the first's Onsignal (Studio help: signals close together interrupt each other).
 * The agent answers `agentAnswersAfterMs` (injected clock) after the last Onsignal that ran to its end.
 * Computed on read from the recorded signals, so nothing here changes CXone's answers.
 */
import { type ContactRecord, type SignalRecord } from './state.js';

/** How close a later signal must follow to interrupt an Onsignal that is running. */
export const INTERRUPT_WINDOW_MS = 2_000;

/** A pseudo number's script, as seeded (`businessUnits[].scripts[pseudoNumber]`). */
export interface ScriptProfile {
  /** Whether the script waits in an Onsignal (default true); without one, signals are accepted and ignored. */
  readonly onSignal: boolean;
  /** Time from the Onsignal running to an agent answering (default 5000). */
  readonly agentAnswersAfterMs: number;
}

export const DEFAULT_SCRIPT: ScriptProfile = Object.freeze({ onSignal: true, agentAnswersAfterMs: 5_000 });

export type OnSignalOutcome = 'ran' | 'interrupted' | 'ignored';

export interface TimelineSignal {
  readonly signalId: number;
  readonly receivedAt: string;
  readonly params: readonly string[];
  /** `ran`: the Onsignal ran to its end; `interrupted` by `interruptedBy`; `ignored`: the script has no Onsignal. */
  readonly onSignal: OnSignalOutcome;
  readonly interruptedBy: number | null;
  /** An earlier signal of this contact carried the same p1..p9. */
  readonly duplicate: boolean;
}

export interface ContactTimeline {
  readonly contactId: string;
  readonly pseudoNumber: string;
  readonly script: ScriptProfile;
  readonly signals: readonly TimelineSignal[];
  /** Signals that repeated an earlier one's params. */
  readonly duplicates: number;
  /** When an agent answered (the simulator's clock), or null (not yet, never, or the contact ended first). */
  readonly agentConnectedAt: string | null;
  readonly endedAt: string | null;
}

/** The timeline of `contact` at `now`, from its signals in the order CXone accepted them. */
export function contactTimeline(contact: ContactRecord, signals: readonly SignalRecord[], script: ScriptProfile, now: number): ContactTimeline {
  const ordered = [...signals].sort((a, b) => a.id - b.id);
  const seen = new Set<string>();
  const entries: TimelineSignal[] = ordered.map((signal, index) => {
    const key = JSON.stringify(signal.params);
    const duplicate = seen.has(key);
    seen.add(key);
    const next = ordered[index + 1];
    const interrupts = next !== undefined && Date.parse(next.receivedAt) - Date.parse(signal.receivedAt) < INTERRUPT_WINDOW_MS;
    const onSignal: OnSignalOutcome = !script.onSignal ? 'ignored' : interrupts ? 'interrupted' : 'ran';
    return { signalId: signal.id, receivedAt: signal.receivedAt, params: signal.params, onSignal, interruptedBy: onSignal === 'interrupted' ? (next?.id ?? null) : null, duplicate };
  });
  const ran = entries.find((entry) => entry.onSignal === 'ran');
  const endedAt = contact.endedAt === null ? null : Date.parse(contact.endedAt);
  const answersAt = ran === undefined ? undefined : Date.parse(ran.receivedAt) + script.agentAnswersAfterMs;
  const connected = answersAt !== undefined && answersAt <= now && (endedAt === null || answersAt <= endedAt);
  return {
    contactId: contact.id,
    pseudoNumber: contact.pseudoNumber,
    script,
    signals: entries,
    duplicates: entries.filter((entry) => entry.duplicate).length,
    agentConnectedAt: connected ? new Date(answersAt).toISOString() : null,
    endedAt: contact.endedAt,
  };
}
