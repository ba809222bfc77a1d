/**
 * The agent desktop page (`GET /_sim/desktop`): plain HTML, CSS and JavaScript served by the
 * simulator itself (`/_sim/desktop/desktop.css`, `/_sim/desktop/desktop.js`), no framework and no
 * external asset, so it works offline and every request stays on the simulator's origin. The script
 * polls `/_sim/desktop/calls` once a second and, for a contact that has received a signal, the
 * screen-pop through the simulator's proxy (`/_sim/desktop/screen-pop/{id}`, desktop-gateway.ts).
 * Every value is put in the page with `textContent`, never as HTML: signal params are caller text.
 */

/** Security headers of the page and its files: only this origin, nothing inline, no framing. */
export const DESKTOP_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
});

export const DESKTOP_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent desktop · CXone simulator</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_sim/desktop/desktop.css">
</head>
<body>
<header>
  <h1>Agent desktop <span class="sub">CXone simulator</span></h1>
  <p id="status">Loading…</p>
</header>
<main id="calls"><p class="empty">No calls yet. Place one: <code>POST /_sim/calls</code>.</p></main>
<script src="/_sim/desktop/desktop.js"></script>
</body>
</html>
`;

export const DESKTOP_CSS = `
:root { --ink: #1d2733; --muted: #5c6b7a; --line: #d9e0e7; --bg: #f3f6f9; --card: #fff; --accent: #0b6bcb; --ok: #1e7f4f; --warn: #a15c00; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { padding: 14px 24px; background: #12263a; color: #fff; display: flex; align-items: baseline; gap: 24px; flex-wrap: wrap; }
h1 { margin: 0; font-size: 20px; font-weight: 600; }
h1 .sub { font-weight: 400; opacity: .7; font-size: 14px; margin-left: 8px; }
#status { margin: 0; opacity: .85; font-size: 13px; }
main { padding: 20px 24px; display: grid; gap: 16px; }
.empty { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); }
.card.ended { opacity: .75; }
.card > section { padding: 14px 18px; }
.card > section + section { border-left: 1px solid var(--line); }
h2 { margin: 0 0 4px; font-size: 16px; }
h3 { margin: 12px 0 6px; font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.meta { color: var(--muted); font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; margin-left: 8px; vertical-align: 2px; background: #e6eef7; color: var(--accent); }
.badge.active, .badge.SIGNALED { background: #e3f4ea; color: var(--ok); }
.badge.ended { background: #eceff2; color: var(--muted); }
.badge.PENDING { background: #fdf1dc; color: var(--warn); }
.badge.FAILED { background: #fde7e5; color: var(--bad); }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; padding: 3px 0 3px 8px; }
ol.timeline li::before { content: ""; position: absolute; left: -20px; top: 9px; width: 10px; height: 10px; border-radius: 50%; background: var(--line); }
ol.timeline li.call::before { background: var(--accent); }
ol.timeline li.signal::before { background: var(--warn); }
ol.timeline li.onsignal::before { background: #c98a2b; }
ol.timeline li.agent::before { background: var(--ok); }
ol.timeline li.ended::before { background: var(--muted); }
time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 8px; font-size: 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-word; }
.note { color: var(--muted); font-style: italic; }
.error { color: var(--bad); }
`;

export const DESKTOP_JS = `'use strict';
(() => {
  const callsEl = document.getElementById('calls');
  const statusEl = document.getElementById('status');
  /** contactId -> { signals, answer } of the last screen-pop fetched. */
  const pops = new Map();
  const FINAL = new Set(['SIGNALED', 'FAILED']);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const clock = (iso) => el('time', { datetime: iso }, new Date(iso).toLocaleTimeString([], { hour12: false }));

  function timeline(call) {
    return el('ol', { class: 'timeline' }, ...call.events.map((event) => el('li', { class: event.kind, 'data-kind': event.kind }, clock(event.at), event.text)));
  }

  function screenPop(call) {
    const box = el('div', { class: 'screen-pop', 'data-testid': 'screen-pop' });
    const pop = pops.get(call.contactId);
    if (call.signals === 0) {
      box.append(el('p', { class: 'note' }, 'No handoff yet: the screen-pop appears when the voice agent hands the caller over (signalContact).'));
      return box;
    }
    if (!pop) {
      box.append(el('p', { class: 'note' }, 'Fetching the screen-pop…'));
      return box;
    }
    const answer = pop.answer;
    if (answer.status !== 200) {
      box.append(el('p', { class: answer.status === 404 ? 'note' : 'error' }, answer.status + ': ' + (answer.body && (answer.body.message || answer.body.error) || 'no answer')));
      return box;
    }
    const data = answer.body.data || {};
    const gateway = data.gateway || {};
    box.append(el('p', {}, 'Handoff ', el('span', { class: 'badge ' + gateway.state, 'data-testid': 'handoff-state' }, String(gateway.state))));
    const rows = [];
    (gateway.params || []).forEach((value, index) => rows.push(['p' + (index + 1), value]));
    for (const [key, value] of Object.entries(data)) {
      if (key !== 'gateway') rows.push([key, typeof value === 'string' ? value : JSON.stringify(value)]);
    }
    rows.push(['handoff id', answer.body.id]);
    if (gateway.signaledAt) rows.push(['signaled at', new Date(gateway.signaledAt).toLocaleTimeString([], { hour12: false })]);
    box.append(el('dl', {}, ...rows.flatMap(([key, value]) => [el('dt', {}, key), el('dd', {}, String(value))])));
    return box;
  }

  function card(call) {
    return el(
      'article',
      { class: 'card ' + call.state, 'data-contact-id': call.contactId },
      el(
        'section',
        {},
        el('h2', {}, 'Contact ' + call.contactId, el('span', { class: 'badge ' + call.state }, call.state)),
        el('div', { class: 'meta' }, 'from ' + call.from + ' · to ' + call.pseudoNumber + ' · master ' + call.masterContactId + ' · BU ' + call.businessUnit),
        el('h3', {}, 'Timeline'),
        timeline(call),
      ),
      el('section', {}, el('h3', {}, 'Screen-pop'), screenPop(call)),
    );
  }

  async function fetchPop(call) {
    try {
      const res = await fetch('/_sim/desktop/screen-pop/' + encodeURIComponent(call.contactId), { headers: { accept: 'application/json' } });
      pops.set(call.contactId, { signals: call.signals, answer: { status: res.status, body: await res.json() } });
    } catch (error) {
      pops.set(call.contactId, { signals: call.signals, answer: { status: 0, body: { message: String(error) } } });
    }
  }

  /** A screen-pop is fetched again while the handoff is not final, and after each new signal. */
  function popIsStale(call) {
    if (call.signals === 0) return false;
    const pop = pops.get(call.contactId);
    if (!pop || pop.signals !== call.signals) return true;
    const body = pop.answer.body;
    return !(pop.answer.status === 200 && body && body.data && body.data.gateway && FINAL.has(body.data.gateway.state));
  }

  async function refresh() {
    try {
      const res = await fetch('/_sim/desktop/calls', { headers: { accept: 'application/json' } });
      const view = await res.json();
      await Promise.all(view.calls.filter(popIsStale).map(fetchPop));
      callsEl.replaceChildren(...(view.calls.length > 0 ? view.calls.map(card) : [el('p', { class: 'empty' }, 'No calls yet. Place one: POST /_sim/calls.')]));
      const active = view.calls.filter((call) => call.state === 'active').length;
      statusEl.textContent = active + ' live call' + (active === 1 ? '' : 's') + ' · screen-pop from ' + (view.gateway || 'no gateway (start with npm start)') + ' · updated ' + new Date().toLocaleTimeString([], { hour12: false });
    } catch (error) {
      statusEl.textContent = 'The simulator did not answer: ' + error;
    } finally {
      setTimeout(refresh, 1000);
    }
  }
  refresh();
})();
`;
