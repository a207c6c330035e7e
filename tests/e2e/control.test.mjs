// Conference control through the demo page (docs/protocol.md "Conference
// control"): a host (token with the `admin` grant) and three participants,
// all publishing a microphone (a steady tone, see launchBrowser: Chromium's
// fake microphone only beeps and would never get an audio slot). H and B
// receive audio through their audio slots, C track by track (audio=tracks),
// so both receive paths are measured. The room has K = 4 slots: with the
// default 3, four speakers fill the three room-wide slots and each
// subscriber's own slot carries the fourth, so when A is muted its slot is
// handed to that fourth speaker and the slot's packet count, which cannot
// tell speakers apart, keeps growing. With 4 slots the slot that carried A
// falls silent (the samples record who `speakers` says each slot carries).
//
// A's page ignores the SDK's replaceTrack(null): it keeps sending after the
// host's mute, like an old or hostile client, so what the others stop
// receiving is the server's doing (the router drops the muted track), not
// the client's. B's page can drop one chosen roster batch before the SDK
// sees it, to make the SDK detect the skipped version and `sync`.
//
// The 200 ms: measured from the ack of the host's hostMute (when the promise
// resolved in the host's page, demoState.controlLog, Date.now() shared by
// every page of this browser) to (a) the muteChanged event on the other
// pages and (b) the last packet from A: every observer samples getStats()
// every ~20 ms; the packet count of the first sample started 200 ms or more
// after the ack must equal that of a sample started 1.2 s after the ack.
// Every wait polls a condition with a deadline; nothing sleeps to synchronise.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, launchBrowser, pollUntil } from './lib/browser.mjs';
import {
  afterAck, assertHears as assertHearsAudio, ignoreSenderStops, inboundAudio, metric as serverMetric,
  mintToken as mintRoomToken, outboundAudioPackets, samplesOf, startSampler, stepSequence, stopSampler,
} from './lib/control.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const MYRIAD_BIN = process.env.MYRIAD_BIN || path.join(REPO_ROOT, 'build/myriad');
const JOIN_TIMEOUT_MS = 20000;
const MEDIA_TIMEOUT_MS = 20000;
const EVENT_TIMEOUT_MS = 5000;
// The issue's bound, on loopback: from the ack to the others' SDK state and
// to the last packet they receive from the muted track.
const MUTE_BOUND_MS = 200;
// How long after the ack nothing more may arrive (the count at MUTE_BOUND_MS
// must equal the count this much after the ack).
const QUIET_CHECK_MS = 1200;

// One slot per other speaker: see the top of the file.
const AUDIO_SLOTS = 4;

const room = `control-${process.pid}-${Date.now().toString(36)}`;

let server;
let browser;
/** label -> {page, participantId, micTrackId} */
const people = new Map();
const measurements = {};
const steps = stepSequence(it);
const { step } = steps;
const mintToken = (identity, name, grants) => mintRoomToken(MYRIAD_BIN, server, room, identity, name, grants);
const metric = (name, labels) => serverMetric(server, name, labels);


// ------------------------------------------------------------ page set-up


// B's page: window.__rosterDrop.filter (a predicate on a parsed `roster`
// message) drops the first batch it matches before the SDK sees it.
function installRosterDropHook() {
  window.__rosterDrop = { filter: null, dropped: [] };
  const addEventListener = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function addFilteredListener(type, listener, options) {
    if (type !== 'message' || typeof listener !== 'function') return addEventListener.call(this, type, listener, options);
    return addEventListener.call(this, type, (event) => {
      const hook = window.__rosterDrop;
      if (hook.filter && typeof event.data === 'string') {
        const msg = JSON.parse(event.data);
        if (msg.type === 'roster' && hook.filter(msg)) {
          hook.filter = null;
          hook.dropped.push(msg.version);
          return;
        }
      }
      listener.call(this, event);
    }, options);
  };
}


async function joinParticipant(label, { query = '', beforeLoad = null } = {}) {
  const url = `${server.url}/index.html?room=${encodeURIComponent(room)}&name=${label}&autojoin=1&publish=audio${query}`;
  const page = await browser.newParticipantPage(url, label, {
    beforeLoad: beforeLoad ? (p) => p.addInitScript(beforeLoad) : null,
  });
  const joined = await pollUntil(() => page.evaluate(() => {
    const s = window.demoState;
    if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
    return s.phase === 'joined' && s.publications.length === 1
      ? { participantId: s.participantId, micTrackId: s.publications[0].trackId } : null;
  }), { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join and publish its microphone` });
  people.set(label, { page, ...joined });
  return people.get(label);
}

// ----------------------------------------------------------------- probes



// `observer` receives `speaker`'s audio and the count keeps growing.
async function assertHears(observerLabel, speakerLabel) {
  return assertHearsAudio(people.get(observerLabel).page, people.get(speakerLabel), `${observerLabel} <- ${speakerLabel}`, MEDIA_TIMEOUT_MS);
}





// The page's SDK state of `label`'s microphone.
async function micState(page, label) {
  const { participantId, micTrackId } = people.get(label);
  return page.evaluate(({ pid, trackId }) => {
    const client = window.myriad;
    const own = client.publications.get(trackId);
    const t = own || (client.participants.get(pid)?.tracks.get(trackId));
    if (!t) return null;
    const tile = document.querySelector(`.tile[data-participant-id="${pid}"]`);
    return {
      muted: t.muted, mutedBy: t.mutedBy, locked: t.locked, tileMuted: tile ? tile.classList.contains('mic-muted') : null,
    };
  }, { pid: participantId, trackId: micTrackId });
}

// The first muteChanged event about `trackId` matching `muted` on the page.
async function muteEvent(page, trackId, muted) {
  return page.evaluate(({ trackId, muted }) => window.demoState.events
    .find((e) => e.type === 'muteChanged' && e.trackId === trackId && e.muted === muted) || null, { trackId, muted });
}

// A user's click (Playwright checks that the button is visible and enabled).
// The page comes to the front first: Playwright waits for animation frames,
// which Chromium runs about once a second in a background tab.
async function clickButton(page, selector) {
  await page.bringToFront();
  await page.click(selector);
}

// Clicks a host button on the tile of `targetLabel` in the host's page and
// returns its demoState.controlLog entry once the server answered.
async function hostClick(targetLabel, action) {
  const host = people.get('H');
  const target = people.get(targetLabel);
  const count = await host.page.evaluate(() => window.demoState.controlLog.length);
  await clickButton(host.page, `.tile[data-participant-id="${target.participantId}"] .host-controls button[data-action="${action}"]`);
  return pollUntil(() => host.page.evaluate((n) => {
    const entry = window.demoState.controlLog[n];
    return entry && entry.settledAt ? entry : null;
  }, count), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `H's ${action} on ${targetLabel} to be answered` });
}

async function ownControlClick(label, selector, action) {
  const { page } = people.get(label);
  const count = await page.evaluate(() => window.demoState.controlLog.length);
  await clickButton(page, selector);
  const entry = await pollUntil(() => page.evaluate((n) => {
    const e = window.demoState.controlLog[n];
    return e && e.settledAt ? e : null;
  }, count), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label}'s ${action} to be answered` });
  assert.equal(entry.action, action);
  assert.equal(entry.error, null, `${label}'s ${action} refused`);
  return entry;
}


// ------------------------------------------------------------------- test

describe('conference control through Myriad', { timeout: 120000 }, () => {
  before(async () => {
    server = await startServer({ extraEnv: { MYRIAD_ROOMS_AUDIO_SLOTS: String(AUDIO_SLOTS) } });
    browser = await launchBrowser({ microphone: 'tone' });
  });

  after(async () => {
    await closeAndReport({ browser, server, failed: steps.state.failed, lines: 80 });
    if (Object.keys(measurements).length) console.log(`# measurements ${JSON.stringify(measurements)}`);
  });

  step('a host (admin token) and A, B, C join and publish a microphone', async () => {
    const token = await mintToken('host', 'H', 'join,publish,subscribe,admin');
    await joinParticipant('H', { query: `&token=${encodeURIComponent(token)}` });
    await joinParticipant('A', { beforeLoad: ignoreSenderStops });
    // B keeps control on the WebSocket (control-channel.test.mjs covers the channel), where
    // the hook can drop one roster batch; it also covers the fallback path in a room where
    // the others use their channels.
    await joinParticipant('B', { query: '&controlChannel=0', beforeLoad: installRosterDropHook });
    await joinParticipant('C', { query: '&audio=tracks' });
    // The host's page has host buttons on the three others' tiles.
    await pollUntil(() => people.get('H').page.evaluate(() => window.demoState.isHost
      && document.querySelectorAll('.tile .host-controls').length === 3),
    { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: 'H\'s three tiles with host buttons' });
    const others = await people.get('B').page.evaluate(() => document.querySelectorAll('.host-controls').length);
    assert.equal(others, 0, 'no host buttons without the admin grant');
  });

  step('H, B (audio slots) and C (audio subscriptions) hear A', async () => {
    for (const observer of ['H', 'B', 'C']) {
      const got = await assertHears(observer, 'A');
      assert.equal(got.via === 'track', observer === 'C', `${observer} receives A via ${got.via}`);
    }
  });

  step('a participant without the admin grant cannot act on others', async () => {
    const { page } = people.get('B');
    const codes = await page.evaluate(async ({ cTrack, cPid, hPid }) => {
      const client = window.myriad;
      const code = (promise) => promise.then(() => 'accepted', (err) => err.code);
      return {
        hostMute: await code(client.hostMute(cTrack)),
        hostMuteLock: await code(client.hostMute(cTrack, { lock: true })),
        requestUnmute: await code(client.requestUnmute(cTrack)),
        kick: await code(client.kick(cPid)),
        lowerHand: await code(client.lowerHand(hPid)),
        muteOthers: await code(client.setMuted(cTrack, true)),
      };
    }, { cTrack: people.get('C').micTrackId, cPid: people.get('C').participantId, hPid: people.get('H').participantId });
    assert.deepEqual(codes, {
      hostMute: 'forbidden', hostMuteLock: 'forbidden', requestUnmute: 'forbidden', kick: 'forbidden', lowerHand: 'forbidden',
      muteOthers: 'not_owner',
    });
    const selfKick = await people.get('H').page.evaluate((pid) => window.myriad.kick(pid).then(() => 'accepted', (e) => e.code),
      people.get('H').participantId);
    assert.equal(selfKick, 'bad_target');
    // Nothing changed: C still unmuted everywhere.
    for (const label of ['H', 'A', 'B', 'C']) {
      const state = await pollUntil(() => micState(people.get(label).page, 'C'),
        { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: `${label} to know C's microphone` });
      assert.equal(state.muted, false, `${label}: C's microphone`);
    }
  });

  step(`the host mutes and locks A: within ${MUTE_BOUND_MS} ms of the ack the others show it and receive nothing more from A`, async () => {
    const a = people.get('A');
    const droppedBefore = await metric('myriad_dropped_packets_total', 'reason="muted"');
    const observers = {};
    for (const label of ['H', 'B', 'C']) {
      const got = await inboundAudio(people.get(label).page, a.participantId, a.micTrackId);
      assert.ok(got, `${label} receives A`);
      observers[label] = got;
      await startSampler(people.get(label).page, got.receiverTrackId);
    }
    await startSampler(a.page, null);
    // Every sampler running and seeing packets flow before the mute.
    for (const label of ['H', 'B', 'C', 'A']) {
      await pollUntil(async () => {
        const s = await samplesOf(people.get(label).page);
        return s.length >= 3 && s.at(-1).packets > s[0].packets;
      }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: `${label}'s sampler to see A's packets flow` });
    }

    const mute = await hostClick('A', 'lock');
    assert.equal(mute.error, null, 'hostMute refused');
    assert.equal(typeof mute.version, 'number');
    const ack = mute.settledAt;

    for (const label of ['H', 'B', 'C', 'A']) {
      await pollUntil(async () => (await samplesOf(people.get(label).page)).at(-1).t >= ack + QUIET_CHECK_MS,
        { timeoutMs: QUIET_CHECK_MS + EVENT_TIMEOUT_MS, intervalMs: 100, description: `${label}'s samples to reach ${QUIET_CHECK_MS} ms after the ack` });
    }
    const result = { ackAfterSendMs: ack - mute.sentAt, observers: {} };
    for (const label of ['H', 'B', 'C']) {
      const { page } = people.get(label);
      const samples = await stopSampler(page);
      const event = await muteEvent(page, a.micTrackId, true);
      const state = await micState(page, 'A');
      const packets = afterAck(samples, ack, MUTE_BOUND_MS);
      result.observers[label] = {
        via: observers[label].via, eventAfterAckMs: event ? event.time - ack : null, eventAfterSendMs: event ? event.time - mute.sentAt : null,
        ...packets,
      };
      assert.ok(event, `${label} got muteChanged for A`);
      assert.deepEqual({ by: event.by, locked: event.locked, local: event.local }, { by: 'host', locked: true, local: false });
      assert.ok(event.time - ack <= MUTE_BOUND_MS, `${label} showed A muted ${event.time - ack} ms after the ack`);
      assert.deepEqual(state, { muted: true, mutedBy: 'host', locked: true, tileMuted: true }, `${label}'s roster state of A`);
      assert.ok(packets.grewBeforeAck, `${label} received A before the mute: ${JSON.stringify(packets)}`);
      // What the count measures: a slot that carries nobody else (speakers).
      if (observers[label].via !== 'track') assert.deepEqual(packets.holders, [null], `${label}: the slot that carried A is empty`);
      assert.ok(packets.atCutoff !== null && packets.endAfterMs >= QUIET_CHECK_MS, `${label} sampled after the ack`);
      assert.equal(packets.atEnd, packets.atCutoff,
        `${label} still received packets from A ${MUTE_BOUND_MS} ms or more after the ack: ${JSON.stringify(packets)}`);
    }

    // A's page: told at once, its SDK stopped the sender (which this page
    // ignores: it keeps sending, and the server drops it).
    const aSamples = await stopSampler(a.page);
    const aSent = afterAck(aSamples, ack, MUTE_BOUND_MS);
    const aView = await a.page.evaluate((trackId) => ({
      event: window.demoState.events.find((e) => e.type === 'muteChanged' && e.trackId === trackId && e.muted) || null,
      senderStops: window.__senderStops,
      button: { text: document.getElementById('mute-audio').textContent, disabled: document.getElementById('mute-audio').disabled },
    }), a.micTrackId);
    result.A = { eventAfterAckMs: aView.event ? aView.event.time - ack : null, sentAfterCutoff: aSent.atEnd - aSent.atCutoff };
    assert.ok(aView.event, 'A got muteChanged for its own microphone');
    assert.deepEqual({ by: aView.event.by, locked: aView.event.locked, local: aView.event.local }, { by: 'host', locked: true, local: true });
    assert.ok(aView.event.time - ack <= MUTE_BOUND_MS, `A showed its mute ${aView.event.time - ack} ms after the ack`);
    assert.deepEqual(await micState(a.page, 'A'), { muted: true, mutedBy: 'host', locked: true, tileMuted: null });
    assert.ok(aView.senderStops >= 1, 'the SDK stopped (tried to stop) A\'s sender');
    assert.deepEqual(aView.button, { text: 'Unmute mic', disabled: true });
    assert.ok(aSent.atEnd > aSent.atCutoff, `A kept sending (the page ignores the sender stop): ${JSON.stringify(aSent)}`);
    const dropped = await metric('myriad_dropped_packets_total', 'reason="muted"');
    assert.ok(dropped > droppedBefore, `the server counts the muted packets it dropped (${droppedBefore} -> ${dropped})`);
    measurements.hostMute = result;
  });

  step('A cannot unmute while locked; the host asks, A accepts on its prompt, and everyone hears A again', async () => {
    const a = people.get('A');
    const refused = await a.page.evaluate(() => window.myriad.setMuted('audio', false).then(() => 'accepted', (e) => e.code));
    assert.equal(refused, 'mute_locked');
    assert.equal((await micState(a.page, 'A')).muted, true);

    const ask = await hostClick('A', 'askUnmute');
    assert.equal(ask.error, null);
    const prompt = await pollUntil(() => a.page.evaluate(() => {
      const request = window.demoState.unmuteRequest;
      const el = document.getElementById('unmute-request');
      return request && !el.hidden ? { request, text: document.getElementById('unmute-request-text').textContent } : null;
    }), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'A\'s unmute prompt' });
    assert.equal(prompt.request.participantId, people.get('H').participantId);
    assert.equal(prompt.request.trackId, a.micTrackId);
    assert.match(prompt.text, /^H asks you/);
    // The request lifted the lock; A's state says so before A decides.
    assert.deepEqual(await micState(a.page, 'A'), { muted: true, mutedBy: 'host', locked: false, tileMuted: null });

    await ownControlClick('A', '#unmute-accept', 'acceptUnmute');
    assert.deepEqual(await micState(a.page, 'A'), { muted: false, mutedBy: '', locked: false, tileMuted: null });
    for (const label of ['H', 'B', 'C']) {
      await pollUntil(async () => {
        const state = await micState(people.get(label).page, 'A');
        return !state.muted && !state.tileMuted;
      }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show A unmuted` });
      await assertHears(label, 'A');
    }
  });

  step('B mutes itself: its SDK stops sending, the others show B muted by self; B unmutes', async () => {
    const b = people.get('B');
    await ownControlClick('B', '#mute-audio', 'mute');
    const own = await b.page.evaluate((trackId) => {
      const publication = window.myriad.publications.get(trackId);
      return { muted: publication.muted, mutedBy: publication.mutedBy, senderTrack: publication.transceiver.sender.track };
    }, b.micTrackId);
    assert.deepEqual(own, { muted: true, mutedBy: 'self', senderTrack: null });
    // Nothing leaves B any more: two probes in a row see the same count.
    let previous = -1;
    await pollUntil(async () => {
      const sent = await outboundAudioPackets(b.page);
      const still = sent === previous;
      previous = sent;
      return still;
    }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 300, description: 'B\'s outbound audio to stop' });
    for (const label of ['H', 'A', 'C']) {
      await pollUntil(async () => {
        const state = await micState(people.get(label).page, 'B');
        return state.muted && state.mutedBy === 'self' && !state.locked && state.tileMuted;
      }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show B muted by itself` });
    }

    await ownControlClick('B', '#mute-audio', 'unmute');
    const restored = await b.page.evaluate((trackId) => {
      const publication = window.myriad.publications.get(trackId);
      return { muted: publication.muted, sameTrack: publication.transceiver.sender.track === publication.track };
    }, b.micTrackId);
    assert.deepEqual(restored, { muted: false, sameTrack: true });
    for (const label of ['H', 'A', 'C']) {
      await pollUntil(async () => !(await micState(people.get(label).page, 'B')).muted,
        { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show B unmuted` });
      await assertHears(label, 'B');
    }
  });

  step('B raises its hand, everyone sees it; the host lowers it', async () => {
    const b = people.get('B');
    await ownControlClick('B', '#hand-button', 'raiseHand');
    for (const label of ['H', 'A', 'C']) {
      await pollUntil(() => people.get(label).page.evaluate((pid) => {
        const tile = document.querySelector(`.tile[data-participant-id="${pid}"]`);
        return window.myriad.participants.get(pid).handRaised === true && tile.classList.contains('hand-raised');
      }, b.participantId), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show B's hand` });
    }
    const lower = await hostClick('B', 'lowerHand');
    assert.equal(lower.error, null);
    await pollUntil(() => b.page.evaluate(() => !window.myriad.handRaised
      && window.demoState.events.some((e) => e.type === 'handChanged' && e.local && e.raised === false)
      && document.getElementById('hand-button').textContent === 'Raise hand'),
    { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'B to see its own hand lowered by the host' });
    for (const label of ['A', 'C']) {
      await pollUntil(() => people.get(label).page.evaluate((pid) => window.myriad.participants.get(pid).handRaised === false,
        b.participantId), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show B's hand lowered` });
    }
  });

  step('B misses the roster batch with the host\'s mute of C: the next batch skips a version, B syncs and shows it', async () => {
    const b = people.get('B');
    const c = people.get('C');
    await b.page.evaluate((trackId) => {
      window.__rosterDrop.filter = (msg) => (msg.muted || []).some((m) => m.trackId === trackId);
    }, c.micTrackId);
    const mute = await hostClick('C', 'mute');
    assert.equal(mute.error, null);
    // C hears of it at once, H and A with the batch B does not get.
    await pollUntil(async () => (await micState(c.page, 'C')).muted, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'C muted on its page' });
    for (const label of ['H', 'A']) {
      await pollUntil(async () => (await micState(people.get(label).page, 'C')).muted,
        { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show C muted` });
    }
    const dropped = await pollUntil(() => b.page.evaluate(() => window.__rosterDrop.dropped.at(-1) ?? null),
      { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'B\'s hook to drop the batch' });
    assert.equal(dropped, mute.version, 'the dropped batch is the version the ack named');
    assert.equal((await micState(b.page, 'C')).muted, false, 'B has not seen the mute');

    // The next batch (H's raised hand) reveals the gap.
    await ownControlClick('H', '#hand-button', 'raiseHand');
    const synced = await pollUntil(() => b.page.evaluate(({ hPid }) => {
      const sync = window.demoState.events.find((e) => e.type === 'roster' && e.source === 'sync');
      const h = window.myriad.participants.get(hPid);
      return sync && h && h.handRaised ? { syncVersion: sync.version, rosterVersion: window.myriad.rosterVersion } : null;
    }, { hPid: people.get('H').participantId }), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'B to sync and see H\'s hand' });
    assert.ok(synced.syncVersion > dropped, `the sync covers the missed batch ${dropped}: ${JSON.stringify(synced)}`);
    assert.deepEqual(await micState(b.page, 'C'), { muted: true, mutedBy: 'host', locked: false, tileMuted: true });
    const hVersion = await people.get('H').page.evaluate(() => window.myriad.rosterVersion);
    assert.equal(synced.rosterVersion, hVersion, 'B and H at the same roster version');
    const names = await b.page.evaluate(() => [...window.myriad.participants.values()].map((p) => p.name).sort());
    assert.deepEqual(names, ['A', 'C', 'H']);
    // Nobody else skipped a version.
    for (const label of ['H', 'A', 'C']) {
      const syncs = await people.get(label).page.evaluate(() => window.demoState.events.filter((e) => e.type === 'roster' && e.source === 'sync').length);
      assert.equal(syncs, 0, `${label} synced without a missed batch`);
    }
  });

  step('the host removes C: C is told it was kicked, and C is gone from everyone\'s roster', async () => {
    const c = people.get('C');
    const kick = await hostClick('C', 'kick');
    assert.equal(kick.error, null);
    const cView = await pollUntil(() => c.page.evaluate(() => {
      const e = window.demoState.events.find((ev) => ev.type === 'disconnected');
      return e && window.demoState.phase === 'idle' ? { reason: e.reason, status: document.getElementById('status').textContent } : null;
    }), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'C to be disconnected' });
    assert.deepEqual(cView, { reason: 'kicked', status: 'A host removed you from the room' });
    for (const label of ['H', 'A', 'B']) {
      await pollUntil(() => people.get(label).page.evaluate((pid) => !window.myriad.participants.has(pid)
        && window.demoState.events.some((e) => e.type === 'participantLeft' && e.participantId === pid)
        && !document.querySelector(`.tile[data-participant-id="${pid}"]`)
        && window.myriad.participantCount === 3, c.participantId),
      { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to see C leave` });
    }
    const kicks = await metric('myriad_control_requests_total', 'action="kick",result="accepted"');
    assert.equal(kicks, 1);
  });

  step('no SDK errors on any page', async () => {
    for (const [label, { page }] of people) {
      assert.deepEqual(await page.evaluate(() => window.demoState.errors), [], `${label} reported errors`);
    }
  });
});
