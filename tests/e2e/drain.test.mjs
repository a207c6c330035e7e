// Graceful drain with real browsers (docs/protocol.md "Drain"): two demo
// pages in a room on server A, which is told to send its clients to server B
// (drain.redirect_url). SIGTERM to A: its readiness flips at once while
// liveness stays, a new join is refused, both pages are told to move and the
// SDK moves them to B (same room, microphones published again, the one that
// was muted still muted and sending nothing), where they hear each other. A
// raw WebSocket participant that ignores the notice keeps A's room open, so
// A waits; once it leaves, A exits 0 long before its grace period. A second
// server, C, shows the other end: a participant that never leaves is closed
// with left(server_shutdown) when the grace period ends, and C exits 0.
// Every wait polls a condition with a deadline; nothing sleeps to synchronise.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, launchBrowser, pollUntil } from './lib/browser.mjs';
import { assertHears as assertHearsAudio, outboundAudioPackets, stepSequence } from './lib/control.mjs';
import { startServer } from './lib/server.mjs';

const JOIN_TIMEOUT_MS = 20000;
const MEDIA_TIMEOUT_MS = 20000;
const EVENT_TIMEOUT_MS = 10000;
// A's grace period: far longer than the test needs, so only an empty room
// can explain A's exit.
const GRACE_A_S = 60;
// C's: short, to see the grace period end.
const GRACE_C_S = 2;
// Server::kShutdownFlushTimeout (the `left` messages flush) plus a margin.
const STOP_MARGIN_MS = 5000;

const room = `drain-${process.pid}-${Date.now().toString(36)}`;

let serverA;
let serverB;
let serverC;
let browser;
/** label -> {page, participantId, micTrackId} (on the current server) */
const people = new Map();
const { step, state } = stepSequence(it);

async function probe(server, path) {
  const res = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text() };
}

// The value of a metric without labels in the server's /metrics.
async function gauge(server, name) {
  const text = (await probe(server, '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : null;
}

// A participant without the SDK on `page`: joins `roomName` at `wsUrl` and
// records every message; it ignores `drain`.
async function rawJoin(page, key, wsUrl, roomName, name) {
  await page.evaluate(({ key, wsUrl, roomName, name }) => {
    window.__raw = window.__raw || {};
    const entry = { messages: [], closed: false, ws: new WebSocket(wsUrl) };
    window.__raw[key] = entry;
    entry.ws.addEventListener('message', (e) => entry.messages.push(JSON.parse(e.data)));
    entry.ws.addEventListener('close', () => { entry.closed = true; });
    entry.ws.addEventListener('open', () => entry.ws.send(JSON.stringify({ type: 'join', id: 1, room: roomName, name })));
  }, { key, wsUrl, roomName, name });
}

async function rawMessages(page, key) {
  return page.evaluate((k) => ({ messages: window.__raw[k].messages, closed: window.__raw[k].closed }), key);
}

async function rawMessage(page, key, type) {
  return pollUntil(async () => (await rawMessages(page, key)).messages.find((m) => m.type === type), {
    timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: `${key} to get ${type}`,
  });
}

// The page's own microphone publication once joined: {participantId, micTrackId, muted}.
async function ownMic(page) {
  return page.evaluate(() => {
    const s = window.demoState;
    if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
    const client = window.myriad;
    if (s.phase !== 'joined' || !client || client.state !== 'joined' || s.publications.length !== 1) return null;
    const pub = client.publications.get(s.publications[0].trackId);
    return pub ? {
      participantId: client.localParticipantId, micTrackId: pub.trackId, muted: pub.muted, mutedBy: pub.mutedBy, url: client.url,
    } : null;
  });
}

// Records, with Date.now(), every time the page hands a live track to an
// RTCRtpSender: addTransceiver(track) and replaceTrack(track). A track
// published muted must never be handed over before it is unmuted.
function recordTrackHandovers() {
  window.__handovers = [];
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function recordAdd(trackOrKind, init) {
    if (typeof trackOrKind !== 'string') window.__handovers.push({ how: 'addTransceiver', kind: trackOrKind.kind, time: Date.now() });
    return addTransceiver.call(this, trackOrKind, init);
  };
  const replaceTrack = RTCRtpSender.prototype.replaceTrack;
  RTCRtpSender.prototype.replaceTrack = function recordReplace(track) {
    if (track) window.__handovers.push({ how: 'replaceTrack', kind: track.kind, time: Date.now() });
    return replaceTrack.call(this, track);
  };
}

// Records the URL of every WebSocket the page opens.
function recordSocketUrls() {
  window.__socketUrls = [];
  const Native = window.WebSocket;
  window.WebSocket = function RecordedWebSocket(url, protocols) {
    window.__socketUrls.push(String(url));
    return protocols === undefined ? new Native(url) : new Native(url, protocols);
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
}

async function joinParticipant(label) {
  const url = `${serverA.url}/index.html?room=${encodeURIComponent(room)}&name=${label}&autojoin=1&publish=audio`;
  const page = await browser.newParticipantPage(url, label, {
    beforeLoad: async (p) => {
      await p.addInitScript(recordTrackHandovers);
      await p.addInitScript(recordSocketUrls);
    },
  });
  const mic = await pollUntil(() => ownMic(page), { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join and publish` });
  people.set(label, { page, ...mic });
}

// `observer` receives `speaker`'s audio and the count keeps growing.
async function assertHears(observerLabel, speakerLabel) {
  return assertHearsAudio(people.get(observerLabel).page, people.get(speakerLabel), `${observerLabel} <- ${speakerLabel}`, MEDIA_TIMEOUT_MS);
}


async function waitForExit(server, timeoutMs, description) {
  return pollUntil(() => server.exitInfo, { timeoutMs, intervalMs: 50, description });
}

async function assertNoFatal(server) {
  const log = await readFile(server.logPath, 'utf8');
  assert.doesNotMatch(log, /fatal|terminate called|Segmentation|AddressSanitizer/i, `${server.logPath} shows a crash`);
}

describe('graceful drain', { timeout: 180000 }, () => {
  before(async () => {
    serverB = await startServer();
    serverA = await startServer({
      extraEnv: { MYRIAD_DRAIN_GRACE_PERIOD_S: String(GRACE_A_S), MYRIAD_DRAIN_REDIRECT_URL: serverB.wsUrl },
    });
    browser = await launchBrowser({ microphone: 'tone' });
  });

  after(async () => {
    // Closes the browser and stops B; A and C have exited by themselves (or are stopped here).
    await closeAndReport({ browser, server: serverB, failed: state.failed });
    for (const server of [serverA, serverC]) {
      if (server) await closeAndReport({ browser: null, server, failed: state.failed });
    }
  });

  step('P1 and P2 join on A and hear each other; Q (raw WebSocket) joins too', async () => {
    await joinParticipant('P1');
    await joinParticipant('P2');
    await assertHears('P1', 'P2');
    await assertHears('P2', 'P1');
    // P2 mutes itself: the move must carry that over.
    await people.get('P2').page.evaluate(() => window.myriad.setMuted('audio', true));
    const queue = await browser.newParticipantPage(`${serverA.url}/index.html`, 'Q');
    people.set('Q', { page: queue });
    await rawJoin(queue, 'stays', serverA.wsUrl, room, 'Stays');
    const joined = await rawMessage(queue, 'stays', 'joined');
    assert.ok(joined.participantId);
    assert.deepEqual(await probe(serverA, '/healthz'), { status: 200, body: 'ok\n' });
    assert.equal(await gauge(serverA, 'myriad_draining'), 0);
  }, 90000);

  let sigtermAt;
  step('SIGTERM: A not ready at once, still live; Q is told to move to B', async () => {
    sigtermAt = Date.now();
    serverA.process.kill('SIGTERM');
    const { page } = people.get('Q');
    const drain = await rawMessage(page, 'stays', 'drain');
    assert.equal(drain.url, serverB.wsUrl);
    assert.equal(drain.deadlineMs, GRACE_A_S * 1000);
    assert.equal(drain.reason, 'server_shutdown');
    assert.deepEqual(await probe(serverA, '/healthz'), { status: 503, body: 'draining\n' });
    assert.deepEqual(await probe(serverA, '/livez'), { status: 200, body: 'ok\n' });
    assert.equal(await gauge(serverA, 'myriad_draining'), 1);
    const deadline = await gauge(serverA, 'myriad_drain_deadline_timestamp_seconds');
    assert.ok(Math.abs(deadline - (sigtermAt / 1000 + GRACE_A_S)) < 5, `drain deadline ${deadline}`);
  });

  step('a join at A while it drains is refused with server_draining', async () => {
    const { page } = people.get('Q');
    await rawJoin(page, 'late', serverA.wsUrl, room, 'Late');
    const error = await rawMessage(page, 'late', 'error');
    assert.equal(error.code, 'server_draining');
    await pollUntil(async () => (await rawMessages(page, 'late')).closed, {
      timeoutMs: EVENT_TIMEOUT_MS, description: 'the refused connection to close',
    });
  });

  step('the SDK moves P1 and P2 to B: same room, microphones again, P2 still muted', async () => {
    for (const label of ['P1', 'P2']) {
      const { page, participantId: before } = people.get(label);
      const moved = await pollUntil(async () => {
        const mic = await ownMic(page);
        const moves = await page.evaluate(() => window.demoState.moves);
        return mic && moves === 1 && mic.url === serverB.wsUrl ? mic : null;
      }, { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to move to B` });
      assert.notEqual(moved.participantId, before, `${label} has B's participant id`);
      const events = await page.evaluate(() => window.demoState.events.map((e) => e.type));
      for (const type of ['draining', 'reconnecting', 'reconnected']) assert.ok(events.includes(type), `${label} got ${type}`);
      assert.ok(!events.includes('disconnected'), `${label} never disconnected`);
      // The room rides in the signalling URL, for load balancers that hash on it.
      const sockets = await page.evaluate(() => window.__socketUrls);
      assert.deepEqual(sockets, [serverA.wsUrl, serverB.wsUrl].map((u) => `${u}?room=${encodeURIComponent(room)}`));
      people.set(label, { page, ...moved });
    }
    assert.equal(people.get('P1').muted, false);
    assert.equal(people.get('P2').muted, true);
    assert.equal(people.get('P2').mutedBy, 'self');
    // Nobody on B but the two of them: Q stayed behind on A.
    for (const label of ['P1', 'P2']) {
      const names = await pollUntil(() => people.get(label).page.evaluate(() => {
        const list = Object.values(window.demoState.participants).map((p) => p.name);
        return list.length === 1 ? list : null;
      }), { timeoutMs: EVENT_TIMEOUT_MS, description: `${label}'s roster on B` });
      assert.deepEqual(names, [label === 'P1' ? 'P2' : 'P1']);
    }
  }, 60000);

  step('on B, P2 hears P1, and P2 muted sends nothing at all', async () => {
    await assertHears('P2', 'P1');
    // P2's connection to B carries media (it just received some): its muted
    // microphone's sender never had the track, neither when the transceiver
    // was created nor since.
    const { page } = people.get('P2');
    assert.equal(await outboundAudioPackets(page), 0);
    const movedAt = await page.evaluate(() => window.demoState.events.find((e) => e.type === 'reconnecting').time);
    const handovers = await page.evaluate((t) => window.__handovers.filter((h) => h.kind === 'audio' && h.time >= t), movedAt);
    assert.deepEqual(handovers, [], 'P2\'s muted microphone was handed to a sender after the move');
    await page.evaluate(() => window.myriad.setMuted('audio', false));
    await assertHears('P1', 'P2');
  }, 60000);

  step('A keeps running while Q stays, and exits 0 as soon as Q leaves', async () => {
    assert.equal(serverA.exitInfo, null, 'A exited with a participant still in a room');
    assert.deepEqual(await probe(serverA, '/livez'), { status: 200, body: 'ok\n' });
    const { page } = people.get('Q');
    await page.evaluate(() => window.__raw.stays.ws.close());
    const leftAt = Date.now();
    const exit = await waitForExit(serverA, STOP_MARGIN_MS, 'A to exit once its rooms are empty');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(Date.now() - leftAt < STOP_MARGIN_MS);
    assert.ok(Date.now() - sigtermAt < GRACE_A_S * 1000, 'A exited before its grace period ended');
    await assertNoFatal(serverA);
  });

  step('C: a participant that stays past the grace period gets left(server_shutdown); C exits 0', async () => {
    serverC = await startServer({ extraEnv: { MYRIAD_DRAIN_GRACE_PERIOD_S: String(GRACE_C_S) } });
    const { page } = people.get('Q');
    await rawJoin(page, 'stubborn', serverC.wsUrl, room, 'Stubborn');
    await rawMessage(page, 'stubborn', 'joined');
    const start = Date.now();
    serverC.process.kill('SIGTERM');
    const drain = await rawMessage(page, 'stubborn', 'drain');
    assert.equal(drain.url, undefined, 'no redirect: the client reconnects to the URL it used');
    const left = await rawMessage(page, 'stubborn', 'left');
    assert.equal(left.reason, 'server_shutdown');
    const exit = await waitForExit(serverC, GRACE_C_S * 1000 + STOP_MARGIN_MS, 'C to exit');
    const elapsed = Date.now() - start;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(elapsed >= GRACE_C_S * 1000, `C exited after ${elapsed} ms, before its grace period`);
    assert.ok(elapsed < GRACE_C_S * 1000 + STOP_MARGIN_MS, `C took ${elapsed} ms`);
    await assertNoFatal(serverC);
  });

  step('no page reported an error or crashed', async () => {
    for (const label of ['P1', 'P2']) {
      assert.deepEqual(await people.get(label).page.evaluate(() => window.demoState.errors), [], `${label} errors`);
    }
    assert.deepEqual(browser.consoleLog.filter((line) => line.includes('pageerror')), []);
  });
});
