/**
 * The per-tenant pace (src/nice/pacer.ts) on a hand-moved clock: unpaced until CXone's first 429,
 * then what CXone admitted over the second before the refused request was sent, however late the
 * answers are read; slots one pace apart; a slot past the deadline is not booked; additive increase
 * per admitted request, one cut per pace for 429s sent at it, upward correction of the first
 * estimate's second only, for 429s sent before it; forgotten 10 s after the last 429 and the last
 * request it held back; no pace from a 429 when CXone admitted nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PACING, TenantPacers } from '../../src/nice/pacer.js';

let now: number;
let announced: [string, number | null][];
let pacers: TenantPacers;

beforeEach(() => {
  now = 1_000_000;
  announced = [];
  pacers = new TenantPacers(DEFAULT_PACING, { now: () => now }, (tenant, perSecond) => announced.push([tenant, perSecond]));
});

/** CXone admits `count` requests of `tenant`, spread evenly over the next `ms`. */
function admit(tenant: string, count: number, ms: number): void {
  for (let i = 0; i < count; i += 1) {
    now += ms / count;
    pacers.admitted(tenant);
  }
}

describe('TenantPacers', () => {
  it('leaves a tenant unpaced until CXone throttles it, and other tenants unpaced after', () => {
    admit('acme', 50, 1_000);
    expect(pacers.pace('acme')).toBeNull();
    expect(pacers.reserve('acme', now + 5_000, 2_000)).toEqual({ sendAt: now, paced: false, generation: 0 });

    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBe(50);
    expect(announced).toEqual([['acme', 50]]);
    expect(pacers.pace('other')).toBeNull();
    expect(pacers.reserve('other', now + 5_000, 2_000)).toEqual({ sendAt: now, paced: false, generation: 0 });
  });

  it('hands out slots one pace apart, and books none that would leave less than an exchange before the deadline', () => {
    admit('acme', 20, 1_000);
    pacers.throttled('acme', now);
    const start = now;
    const deadline = start + 1_000;
    const slots: number[] = [];
    for (;;) {
      const turn = pacers.reserve('acme', deadline, 400);
      if (!('sendAt' in turn)) {
        // 20/s: slots at +0, +50, …, +600 fit (600 + 400 ≤ 1 000); +650 is the first that does not.
        expect(turn.retryAt).toBe(start + 650);
        break;
      }
      expect(turn.paced).toBe(true);
      slots.push(turn.sendAt - start);
    }
    expect(slots).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600]);
    // The refused slot was not booked: the next caller with more time gets it.
    expect(pacers.reserve('acme', start + 10_000, 400)).toEqual({ sendAt: start + 650, paced: true, generation: pacers.generation('acme') });
  });

  it('on a cut gives up the slots booked at the old pace: a new generation, booked again one new interval from now', () => {
    admit('acme', 20, 1_000);
    pacers.throttled('acme', now);
    const start = now;
    const booked = Array.from({ length: 10 }, () => pacers.reserve('acme', start + 10_000, 0));
    expect(booked.map((t) => ('sendAt' in t ? t.sendAt - start : -1))).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450]);
    const before = pacers.generation('acme');
    expect(booked.every((t) => 'generation' in t && t.generation === before)).toBe(true);
    now += 10;
    pacers.throttled('acme', now); // sent at the current pace: cut to 14/s
    expect(pacers.generation('acme')).toBe(before + 1);
    // The waiting requests see the new generation when they wake and book again; a new request
    // books one 14/s interval from now, not after the nine slots still booked at 20/s.
    expect(pacers.reserve('acme', now + 10_000, 0)).toEqual({ sendAt: now + 1000 / 14, paced: true, generation: before + 1 });
    const second = pacers.reserve('acme', now + 10_000, 0);
    expect('sendAt' in second && second.sendAt).toBeCloseTo(now + 2000 / 14, 6);
    // An admitted request raises the pace without a new generation: the booked slots stand.
    pacers.admitted('acme');
    expect(pacers.generation('acme')).toBe(before + 1);
  });

  it('never books a slot in the past: an idle pace starts again from now', () => {
    admit('acme', 10, 1_000);
    pacers.throttled('acme', now);
    pacers.reserve('acme', now + 5_000, 0);
    now += 5_000;
    expect(pacers.reserve('acme', now + 5_000, 0)).toEqual({ sendAt: now, paced: true, generation: pacers.generation('acme') });
  });

  it('cuts the pace once for 429s to requests sent at it, and raises it by 1/pace per admitted request', () => {
    admit('acme', 20, 1_000);
    pacers.throttled('acme', now);
    const cutAt = now + 100;
    now = cutAt;
    pacers.throttled('acme', now - 1); // sent after the pace was set: a cut
    expect(pacers.pace('acme')).toBeCloseTo(14, 5);
    now += 10;
    pacers.throttled('acme', cutAt - 5); // sent before the cut: says nothing about the new pace
    expect(pacers.pace('acme')).toBeCloseTo(14, 5);
    pacers.throttled('acme', now); // sent at the new pace: cut again
    expect(pacers.pace('acme')).toBeCloseTo(9.8, 5);

    const before = pacers.pace('acme')!;
    pacers.admitted('acme');
    expect(pacers.pace('acme')).toBeCloseTo(before + 1 / before, 9);
    // About one more request a second per second while the pace is used in full.
    admit('acme', 100, 8_000);
    expect(pacers.pace('acme')).toBeGreaterThan(before + 5);
    expect(pacers.pace('acme')).toBeLessThan(before + 11);
  });

  it('raises a first estimate set too low by answers still arriving for the same second, never lowers it, and counts no later second', () => {
    const base = now;
    const sent = Array.from({ length: 20 }, (_, i) => base + i * 10); // 20 requests over 200 ms, all admitted
    const refusedAt = base + 200; // then one refused
    now = base + 250;
    for (const at of sent.slice(0, 5)) pacers.admitted('acme', at);
    pacers.throttled('acme', refusedAt); // its 429 is read while 15 answers are still on their way
    expect(pacers.pace('acme')).toBe(5);
    now += 50;
    for (const at of sent.slice(5)) pacers.admitted('acme', at);
    pacers.throttled('acme', refusedAt + 5); // another request sent unpaced, before the estimate
    expect(pacers.pace('acme')).toBe(20);
    pacers.throttled('acme', refusedAt + 8);
    expect(pacers.pace('acme')).toBe(20);

    // Sends a starved process bunched into the next second of its clock are not a faster CXone.
    // (Each admission still raises the pace by 1/pace; the 429 after them adds nothing.)
    for (let i = 0; i < 40; i += 1) pacers.admitted('acme', refusedAt + 100 + i * 5);
    const raised = pacers.pace('acme')!;
    expect(raised).toBeLessThan(23);
    pacers.throttled('acme', refusedAt + 9);
    expect(pacers.pace('acme')).toBe(raised);
  });

  it('finds the rate of the second before the refused request was sent, however late its answers are read', () => {
    const base = now;
    now += 2_500; // a starved process reads a second of answers, and the 429 after them, 1.5 s late
    for (let i = 1; i <= 20; i += 1) pacers.admitted('acme', base + i * 50);
    pacers.throttled('acme', base + 1_000);
    expect(pacers.pace('acme')).toBe(20);
  });

  it('tells a turn to wait for from an outright refusal by send time, however late the answers are read', () => {
    const base = now;
    for (let i = 1; i <= 5; i += 1) pacers.admitted('acme', base + i * 100);
    pacers.throttled('acme', base + 600); // paced at 5/s
    now = base + 3_000; // a starved process: the next refusal's answer and this booking come 2.4 s late
    pacers.throttled('acme', base + 700);
    expect(pacers.reserve('acme', now + 100, 500)).toMatchObject({ admitting: true });

    // CXone then refuses everything for over a second: nothing admitted sent in the second before the latest refusal.
    pacers.throttled('acme', base + 2_800);
    expect(pacers.reserve('acme', now + 100, 500)).toMatchObject({ admitting: false });
  });

  it('counts admissions by send time: a second of answers read at once after a stall is still one second of CXone', () => {
    const sentFrom = now;
    now += 2_000; // the event loop stalled; 20 answers to requests sent 2 s ago arrive now, with 20 sent in the last second
    for (let i = 0; i < 20; i += 1) pacers.admitted('acme', sentFrom + i * 50);
    for (let i = 0; i < 20; i += 1) pacers.admitted('acme', now - 1_000 + (i + 1) * 50);
    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBe(20);
  });

  it('stays unpaced when CXone admitted nothing over the last second: a refusal, not a rate', () => {
    pacers.throttled('acme', now);
    now += 100;
    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBeNull();
    admit('acme', 3, 300);
    now += 1_000;
    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBeNull();
    expect(announced).toEqual([]);
  });

  it('never goes below the slowest pace', () => {
    admit('acme', 1, 10);
    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBe(DEFAULT_PACING.minPerSecond);
    now += 1;
    pacers.throttled('acme', now);
    expect(pacers.pace('acme')).toBe(DEFAULT_PACING.minPerSecond);
  });

  it('forgets the pace after 10 s without a 429, and says so', () => {
    admit('acme', 20, 1_000);
    pacers.throttled('acme', now);
    now += DEFAULT_PACING.forgetAfterMs - 1;
    expect(pacers.pace('acme')).toBe(20);
    now += 1;
    const paced = pacers.generation('acme');
    // Forgetting is a change of pace like any other: a new generation, so no slot booked before it stands.
    expect(pacers.reserve('acme', now + 1_000, 0)).toEqual({ sendAt: now, paced: false, generation: paced + 1 });
    expect(pacers.pace('acme')).toBeNull();
    expect(announced.at(-1)).toEqual(['acme', null]);
  });

  it('keeps the pace while it still holds requests back, and forgets it 10 s after the last one was due', () => {
    admit('acme', 2, 1_000);
    pacers.throttled('acme', now); // paced at 2/s, and no 429 from here on
    const throttledAt = now;
    // A backlog arrives faster than the pace for 15 s: each request is booked a later slot, or told
    // to come back when its caller's deadline is too near (a deferred handoff books nothing).
    let lastDue = 0;
    for (let at = throttledAt; at < throttledAt + 15_000; at += 100) {
      now = at;
      const turn = pacers.reserve('acme', now + 1_000, 500);
      expect(turn).not.toMatchObject({ paced: false });
      lastDue = 'sendAt' in turn ? turn.sendAt : turn.retryAt;
    }
    expect(now - throttledAt).toBeGreaterThan(DEFAULT_PACING.forgetAfterMs);
    expect(pacers.pace('acme')).toBe(2);
    expect(announced.filter(([, perSecond]) => perSecond === null)).toEqual([]);

    now = lastDue + DEFAULT_PACING.forgetAfterMs - 1;
    expect(pacers.pace('acme')).not.toBeNull();
    now += 1;
    expect(pacers.pace('acme')).toBeNull();
    expect(announced.at(-1)).toEqual(['acme', null]);
  });

  it('forgets a pace that holds nothing back: requests slower than the pace do not keep it', () => {
    admit('acme', 20, 1_000);
    pacers.throttled('acme', now);
    const throttledAt = now;
    for (now = throttledAt + 1_000; now < throttledAt + DEFAULT_PACING.forgetAfterMs; now += 1_000) {
      expect(pacers.reserve('acme', now + 5_000, 0)).toMatchObject({ sendAt: now, paced: true });
    }
    now = throttledAt + DEFAULT_PACING.forgetAfterMs;
    expect(pacers.reserve('acme', now + 5_000, 0)).toMatchObject({ sendAt: now, paced: false });
  });
});
