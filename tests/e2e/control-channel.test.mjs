// Conference control on the WebRTC data channel (docs/protocol.md "Data
// channel"): a host (token with the `admin` grant) and two participants join
// through the demo page, each publishing a microphone (a steady tone, see
// launchBrowser). The SDK offers the `myriad-control` channel with its first
// offer; once it is open, control requests and their replies, roster batches
// and `muted` ride it, numbered (`seq`): requests, replies and `muted` twice
// (a copy 10 ms later), the room's roster batches once.
//
// What shows a message took the channel: the SDK's controlChannelStats (its
// requests counted as `sent`, not `viaSocket`), the server's
// myriad_data_channel_messages_total{direction="in"} (each copy counted), and
// every page's log of what arrived on its WebSocket (an init script records
// the type of each frame): no `ack`, `sync`, `muted` or the mute's roster
// batch there.
//
// The 200 ms, as in control.test.mjs: from the ack of the host's hostMute
// (Date.now() in the host's page, shared by every page of this browser) to
// the muteChanged event on the other pages and to the last packet they
// receive from the muted microphone (getStats() sampled every ~20 ms; the
// count at the first sample 200 ms or more after the ack must equal the count
// 1.2 s after it). A's page ignores the SDK's replaceTrack(null) and keeps
// sending, so the silence is the server's doing. Every wait polls a condition
// with a deadline; nothing sleeps to synchronise.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, launchBrowser, pollUntil } from './lib/browser.mjs';
import {
  afterAck, ignoreSenderStops, inboundAudio, metric as serverMetric, mintToken as mintRoomToken,
  startSampler, stepSequence, stopSampler,
} from './lib/control.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const MYRIAD_BIN = process.env.MYRIAD_BIN || path.join(REPO_ROOT, 'build/myriad');
const JOIN_TIMEOUT_MS = 20000;
const CHANNEL_TIMEOUT_MS = 10000;
const EVENT_TIMEOUT_MS = 5000;
const MUTE_BOUND_MS = 200;
const QUIET_CHECK_MS = 1200;

const room = `channel-${process.pid}-${Date.now().toString(36)}`;

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

// Every page: the type (and id, version) of each WebSocket frame, with the
// time it arrived, in window.__socketLog. Only observes.
function logSocketMessages() {
  window.__socketLog = [];
  const addEventListener = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function addLoggedListener(type, listener, options) {
    if (type === 'message' && typeof listener === 'function') {
      addEventListener.call(this, 'message', (event) => {
        if (typeof event.data !== 'string') return;
        try {
          const msg = JSON.parse(event.data);
          window.__socketLog.push({ type: msg.type, id: msg.id, version: msg.version, t: Date.now() });
        } catch (err) {
          window.__socketLog.push({ type: '(unparsable)', t: Date.now() });
        }
      });
    }
    return addEventListener.call(this, type, listener, options);
  };
}



async function joinParticipant(label, { query = '', senderStopsIgnored = false } = {}) {
  const url = `${server.url}/index.html?room=${encodeURIComponent(room)}&name=${label}&autojoin=1&publish=audio${query}`;
  const page = await browser.newParticipantPage(url, label, {
    beforeLoad: async (p) => {
      await p.addInitScript(logSocketMessages);
      if (senderStopsIgnored) await p.addInitScript(ignoreSenderStops);
    },
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

// What the page's SDK and browser say about the control channel: the SDK's
// state and counters, the RTCDataChannel's getStats() entry (readyState,
// messages), the SCTP transport, and the data m-lines of both descriptions.
async function channelView(page, clientName = 'myriad') {
  return page.evaluate(async (name) => {
    const c = window[name];
    if (!c || !c.pc) return { state: c ? c.controlChannelState : null };
    const dataLines = (d) => (d ? d.sdp.split('\r\n').filter((l) => /^m=application|^a=sctp-port|^a=max-message-size|^a=group:BUNDLE/.test(l)) : null);
    const channels = [];
    (await c.pc.getStats()).forEach((s) => {
      if (s.type === 'data-channel') {
        channels.push({ label: s.label, state: s.state, messagesSent: s.messagesSent, messagesReceived: s.messagesReceived });
      }
    });
    return {
      state: c.controlChannelState,
      stats: { ...c.controlChannelStats },
      channels,
      sctp: c.pc.sctp ? c.pc.sctp.state : null,
      connection: c.pc.connectionState,
      local: dataLines(c.pc.localDescription),
      remote: dataLines(c.pc.remoteDescription),
    };
  }, clientName);
}

// Waits for the channel to open; on a timeout the error carries what the
// page saw (so a server problem is reported, not papered over).
async function assertChannelOpens(page, label, clientName) {
  let last = null;
  await pollUntil(async () => {
    last = await channelView(page, clientName);
    // getStats() may report the RTCDataChannel as connecting a moment after its open event
    // (which sets the SDK's state): both must say open.
    return last.state === 'open' && (last.channels || []).length > 0 && last.channels.every((c) => c.state === 'open');
  }, { timeoutMs: CHANNEL_TIMEOUT_MS, intervalMs: 50, description: `${label}'s control channel to open` })
    .catch((err) => {
      throw new Error(`${err.message}; ${label}: ${JSON.stringify(last)}`);
    });
  assert.deepEqual(last.channels.map((c) => [c.label, c.state]), [['myriad-control', 'open']], `${label}: one open channel`);
  assert.equal(last.sctp, 'connected', `${label}: SCTP transport`);
  // RFC 8841 form (port 9, or the candidate's when it is the only m-line).
  assert.ok(last.local.some((l) => /^m=application \d+ UDP\/DTLS\/SCTP webrtc-datachannel$/.test(l)), `${label}: offered ${JSON.stringify(last.local)}`);
  assert.ok(last.remote.includes('a=sctp-port:5000'), `${label}: answered ${JSON.stringify(last.remote)}`);
  assert.ok(last.remote.some((l) => /^m=application [1-9]/.test(l)), `${label}: the answer accepts it`);
  return last;
}

async function stats(label) {
  return people.get(label).page.evaluate(() => ({ ...window.myriad.controlChannelStats }));
}

async function socketLog(label) {
  return people.get(label).page.evaluate(() => window.__socketLog);
}


const channelIn = () => metric('myriad_data_channel_messages_total', 'direction="in"');

// Polls the server's inbound channel counter until it reaches `atLeast`.
async function channelInReaches(atLeast, what) {
  return pollUntil(async () => {
    const value = await channelIn();
    return value >= atLeast ? value : null;
  }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `myriad_data_channel_messages_total{direction="in"} >= ${atLeast} (${what})` });
}





async function remoteMic(label, ofLabel) {
  const { participantId, micTrackId } = people.get(ofLabel);
  return people.get(label).page.evaluate(({ pid, trackId }) => {
    const t = window.myriad.participants.get(pid)?.tracks.get(trackId);
    return t ? { muted: t.muted, mutedBy: t.mutedBy, locked: t.locked } : null;
  }, { pid: participantId, trackId: micTrackId });
}

// ------------------------------------------------------------------- test

describe('conference control on the data channel', { timeout: 180000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ microphone: 'tone' });
  });

  after(async () => {
    await closeAndReport({ browser, server, failed: steps.state.failed, lines: 120 });
    if (Object.keys(measurements).length) console.log(`# measurements ${JSON.stringify(measurements)}`);
  });

  step('H (admin), A and B join: each page\'s control channel opens and carries the roster', async () => {
    const token = await mintToken('host', 'H', 'join,publish,subscribe,admin');
    await joinParticipant('H', { query: `&token=${encodeURIComponent(token)}` });
    await joinParticipant('A', { senderStopsIgnored: true });
    await joinParticipant('B');
    const views = {};
    for (const label of ['H', 'A', 'B']) views[label] = await assertChannelOpens(people.get(label).page, label);
    // H was in the room first: A's and B's joins reached it as roster
    // batches, at least B's on the channel (a broadcast: sent once).
    await pollUntil(async () => {
      const names = await people.get('H').page.evaluate(() => [...window.myriad.participants.values()].map((p) => p.name).sort());
      return names.join() === 'A,B';
    }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: 'H to know A and B' });
    const h = await pollUntil(async () => {
      const s = await stats('H');
      return s.delivered > 0 ? s : null;
    }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: 'H to receive sequenced messages on the channel' });
    assert.equal(h.viaSocket, 0, 'H has sent no control request yet');
    assert.equal(h.unsequenced, 0, 'every server message carries seq');
    measurements.open = views;
  });

  step(`H mutes A on the channel: within ${MUTE_BOUND_MS} ms of the ack B and H show it and receive nothing more from A`, async () => {
    const a = people.get('A');
    const inBefore = await channelIn();
    const hBefore = await stats('H');
    const observers = {};
    for (const label of ['H', 'B']) {
      const { page } = people.get(label);
      const got = await pollUntil(async () => {
        const x = await inboundAudio(page, a.participantId, a.micTrackId);
        return x && x.packets > 0 ? x : null;
      }, { timeoutMs: JOIN_TIMEOUT_MS, intervalMs: 100, description: `${label} to receive A's microphone` });
      observers[label] = got;
      await startSampler(page, got.receiverTrackId);
    }
    for (const label of ['H', 'B']) {
      await pollUntil(async () => {
        const s = await people.get(label).page.evaluate(() => window.__samples.samples);
        return s.length >= 3 && s.at(-1).packets > s[0].packets;
      }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 50, description: `${label}'s sampler to see A's packets flow` });
    }

    const mute = await people.get('H').page.evaluate(async (trackId) => {
      const sentAt = Date.now();
      const version = await window.myriad.hostMute(trackId);
      return { sentAt, ack: Date.now(), version };
    }, a.micTrackId);
    assert.equal(typeof mute.version, 'number');

    // The request took H's channel (one message, then its copy) and the
    // server counted both copies; the ack came back on the channel.
    const hAfter = await pollUntil(async () => {
      const s = await stats('H');
      return s.copiesSent > hBefore.copiesSent ? s : null;
    }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'H\'s second copy of the hostMute' });
    assert.equal(hAfter.sent, hBefore.sent + 1, 'hostMute sent on the channel');
    assert.equal(hAfter.viaSocket, hBefore.viaSocket, 'hostMute not sent on the WebSocket');
    const inAfter = await channelInReaches(inBefore + 2, 'the hostMute and its copy');
    // The ack came back twice: handed over once, its copy dropped.
    await pollUntil(async () => {
      const s = await stats('H');
      return s.duplicates > hBefore.duplicates ? s : null;
    }, { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'H to drop the second copy of the ack' });

    for (const label of ['H', 'B']) {
      await pollUntil(async () => (await people.get(label).page.evaluate(() => window.__samples.samples.at(-1).t)) >= mute.ack + QUIET_CHECK_MS,
        { timeoutMs: QUIET_CHECK_MS + EVENT_TIMEOUT_MS, intervalMs: 100, description: `${label}'s samples to reach ${QUIET_CHECK_MS} ms after the ack` });
    }
    const result = { ackAfterSendMs: mute.ack - mute.sentAt, serverInDelta: inAfter - inBefore, observers: {} };
    for (const label of ['H', 'B']) {
      const { page } = people.get(label);
      const samples = await stopSampler(page);
      const event = await page.evaluate((trackId) => window.demoState.events
        .find((e) => e.type === 'muteChanged' && e.trackId === trackId && e.muted) || null, a.micTrackId);
      const packets = afterAck(samples, mute.ack, MUTE_BOUND_MS);
      result.observers[label] = { eventAfterAckMs: event ? event.time - mute.ack : null, ...packets };
      assert.ok(event, `${label} got muteChanged for A`);
      assert.deepEqual({ by: event.by, locked: event.locked, local: event.local }, { by: 'host', locked: false, local: false });
      assert.ok(event.time - mute.ack <= MUTE_BOUND_MS, `${label} showed A muted ${event.time - mute.ack} ms after the ack`);
      assert.deepEqual(await remoteMic(label, 'A'), { muted: true, mutedBy: 'host', locked: false });
      assert.ok(packets.grewBeforeAck, `${label} received A before the mute: ${JSON.stringify(packets)}`);
      assert.ok(packets.atCutoff !== null && packets.endAfterMs >= QUIET_CHECK_MS, `${label} sampled after the ack`);
      assert.equal(packets.atEnd, packets.atCutoff,
        `${label} still received packets from A ${MUTE_BOUND_MS} ms or more after the ack: ${JSON.stringify(packets)}`);
    }

    // A: told at once (`muted`), its SDK stopped the sender (ignored here).
    const aView = await pollUntil(() => a.page.evaluate((trackId) => {
      const event = window.demoState.events.find((e) => e.type === 'muteChanged' && e.trackId === trackId && e.muted);
      return event ? { event, senderStops: window.__senderStops } : null;
    }, a.micTrackId), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'A to see its own mute' });
    result.A = { eventAfterAckMs: aView.event.time - mute.ack };
    assert.deepEqual({ by: aView.event.by, local: aView.event.local }, { by: 'host', local: true });
    assert.ok(aView.senderStops >= 1, 'A\'s SDK stopped (tried to stop) its sender');

    // None of it came on a WebSocket: H's ack, A's `muted`, the roster
    // batch of the mute's version.
    const hSocket = await socketLog('H');
    assert.deepEqual(hSocket.filter((m) => m.type === 'ack'), [], 'H got an ack on the WebSocket');
    assert.deepEqual((await socketLog('A')).filter((m) => m.type === 'muted'), [], 'A got `muted` on the WebSocket');
    for (const label of ['H', 'A', 'B']) {
      const batches = (await socketLog(label)).filter((m) => m.type === 'roster' && m.version >= mute.version);
      assert.deepEqual(batches, [], `${label} got the mute's roster batch on the WebSocket`);
    }
    measurements.hostMute = result;
  });

  step('A unmutes itself on its channel; H and B show it', async () => {
    const a = people.get('A');
    const inBefore = await channelIn();
    const before = await stats('A');
    const version = await a.page.evaluate(() => window.myriad.setMuted('audio', false));
    assert.equal(typeof version, 'number');
    const after = await stats('A');
    assert.equal(after.sent, before.sent + 1);
    assert.equal(after.viaSocket, before.viaSocket);
    await channelInReaches(inBefore + 1, 'A\'s unmute');
    for (const label of ['H', 'B']) {
      await pollUntil(async () => (await remoteMic(label, 'A'))?.muted === false,
        { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to show A unmuted` });
    }
  });

  step('B syncs on its channel: the reply is the room as H sees it', async () => {
    const b = people.get('B');
    const inBefore = await channelIn();
    const before = await stats('B');
    const reply = await b.page.evaluate(async () => {
      const r = await window.myriad.sync();
      return {
        type: r.type,
        rosterVersion: r.rosterVersion,
        participants: r.participants.map((p) => p.name).sort(),
        tracks: r.tracks.map((t) => t.trackId),
        sdkVersion: window.myriad.rosterVersion,
        syncEvent: window.demoState.events.some((e) => e.type === 'roster' && e.source === 'sync'),
      };
    });
    const after = await stats('B');
    assert.equal(after.sent, before.sent + 1, 'sync sent on the channel');
    assert.equal(after.viaSocket, before.viaSocket, 'sync not sent on the WebSocket');
    assert.deepEqual((await socketLog('B')).filter((m) => m.type === 'sync'), [], 'the sync reply came on the WebSocket');
    await channelInReaches(inBefore + 1, 'B\'s sync');
    assert.equal(reply.type, 'sync');
    assert.deepEqual(reply.participants, ['A', 'H']);
    assert.deepEqual(reply.tracks, [b.micTrackId]);
    assert.ok(reply.syncEvent, 'the SDK applied the sync');
    assert.equal(reply.sdkVersion, reply.rosterVersion);
    // Nothing changed since: B and H at the same version, A unmuted for B.
    const hVersion = await people.get('H').page.evaluate(() => window.myriad.rosterVersion);
    assert.equal(reply.rosterVersion, hVersion, 'B and H at the same roster version');
    assert.deepEqual(await remoteMic('B', 'A'), { muted: false, mutedBy: '', locked: false });
  });

  step('a request lost on the channel rejects with code timeout instead of hanging; the next one works', async () => {
    const b = people.get('B');
    const result = await b.page.evaluate(async () => {
      const client = window.myriad;
      const timeoutBefore = client.requestTimeoutMs;
      const send = client._sendOnChannel;
      // As if the channel closed with the request in flight: taken, never delivered.
      client._sendOnChannel = () => true;
      client.requestTimeoutMs = 300;
      const started = Date.now();
      let code = null;
      try {
        await client.raiseHand(true);
      } catch (err) {
        code = err.code;
      }
      const elapsedMs = Date.now() - started;
      client._sendOnChannel = send;
      client.requestTimeoutMs = timeoutBefore;
      const pendingAfter = client._pendingRequests.size;
      const next = await client.sync();
      return { code, elapsedMs, pendingAfter, nextType: next.type };
    });
    assert.equal(result.code, 'timeout');
    assert.ok(result.elapsedMs >= 300 && result.elapsedMs < 5000, `rejected after ${result.elapsedMs} ms`);
    assert.equal(result.pendingAfter, 0, 'the timed-out request is forgotten');
    assert.equal(result.nextType, 'sync');
  });

  step('controlChannel: false keeps control on the WebSocket; a client with nothing else to offer still opens the channel', async () => {
    const page = await browser.newParticipantPage(`${server.url}/index.html`, 'L');
    const result = await page.evaluate(async (roomName) => {
      const { MyriadClient } = await import('/myriad.js');
      const options = { audio: 'none', playAudio: false, autoSubscribe: false };
      window.channelOff = new MyriadClient({ ...options, controlChannel: false });
      window.channelOn = new MyriadClient(options);
      await window.channelOff.join(roomName, 'Off');
      await window.channelOn.join(roomName, 'On');
      const reply = await window.channelOff.sync();
      return { offState: window.channelOff.controlChannelState, offStats: { ...window.channelOff.controlChannelStats }, offSync: reply.type };
    }, room);
    assert.equal(result.offState, 'off');
    assert.equal(result.offSync, 'sync');
    assert.equal(result.offStats.viaSocket, 1);
    assert.equal(result.offStats.sent, 0);
    const offView = await channelView(page, 'channelOff');
    assert.ok(!offView.local || !offView.local.some((l) => l.startsWith('m=application')), `no data m-line: ${JSON.stringify(offView)}`);
    assert.deepEqual(offView.channels || [], []);
    // Only the channel to negotiate: one offer with just the data m-line.
    const onView = await assertChannelOpens(page, 'On', 'channelOn');
    measurements.channelOnly = onView;
    const synced = await page.evaluate(async () => {
      const reply = await window.channelOn.sync();
      return { type: reply.type, stats: { ...window.channelOn.controlChannelStats } };
    });
    assert.equal(synced.type, 'sync');
    assert.deepEqual([synced.stats.sent, synced.stats.viaSocket], [1, 0]);
    await page.evaluate(() => Promise.all([window.channelOff.leave(), window.channelOn.leave()]));
  });

  // The kick rides the channel; the `left` does not: it stays the last
  // message on the WebSocket before it closes (on the channel it raced the
  // socket's close, and the SDK reported a bare 'websocket_closed').
  step('H kicks B on the channel: B is told it was kicked, and B is gone from H\'s and A\'s roster', async () => {
    const b = people.get('B');
    const before = await stats('H');
    await people.get('H').page.evaluate((pid) => window.myriad.kick(pid), b.participantId);
    const after = await stats('H');
    assert.deepEqual([after.sent, after.viaSocket], [before.sent + 1, before.viaSocket], 'kick sent on the channel');
    const reason = await pollUntil(() => b.page.evaluate(() => {
      const e = window.demoState.events.find((ev) => ev.type === 'disconnected');
      return e ? e.reason : null;
    }), { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: 'B to be disconnected' });
    assert.equal(reason, 'kicked');
    assert.deepEqual((await socketLog('B')).filter((m) => m.type === 'left').length, 1, 'B\'s `left` on the WebSocket');
    for (const label of ['H', 'A']) {
      await pollUntil(() => people.get(label).page.evaluate((pid) => !window.myriad.participants.has(pid), b.participantId),
        { timeoutMs: EVENT_TIMEOUT_MS, intervalMs: 20, description: `${label} to see B leave` });
    }
    assert.equal(await metric('myriad_control_requests_total', 'action="kick",result="accepted"'), 1);
  });

  step('no SDK errors on any page', async () => {
    for (const [label, { page }] of people) {
      assert.deepEqual(await page.evaluate(() => window.demoState.errors), [], `${label} reported errors`);
    }
  });
});
