// Three browsers join one room through the demo page and exchange camera and
// microphone through Myriad; one leaves; a fourth joins late; the server shuts
// down. Video is subscribed track by track (the demo's viewport), audio comes
// through the audio slots: every page's microphone is a steady tone (see
// launchBrowser), so everyone is a speaker and, with K = 3 slots and at most
// two others, everyone hears everyone. Every wait polls a condition with a
// deadline; nothing sleeps to synchronise.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, inboundFrom, launchBrowser, outboundVideoSize, pollUntil, rtpStats } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const JOIN_TIMEOUT_MS = 20000;
const MEDIA_TIMEOUT_MS = 40000;
const EVENT_TIMEOUT_MS = 15000;

const room = `e2e-${process.pid}-${Date.now().toString(36)}`;

let server;
let browser;
let failed = false;
/** label -> {page, participantId} */
const participants = new Map();

// Steps depend on each other: once one fails, the rest are skipped instead of
// piling up follow-on timeouts.
function step(name, fn, timeout = 90000) {
  it(name, { timeout }, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

async function demoState(page, expression) {
  return page.evaluate(expression);
}

async function joinParticipant(label) {
  const page = await browser.newParticipantPage(
    `${server.url}/index.html?room=${encodeURIComponent(room)}&name=${encodeURIComponent(label)}&autojoin=1`, label);
  const joined = await pollUntil(
    () => page.evaluate(() => {
      const s = window.demoState;
      if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
      return s.phase === 'joined' && s.publications.length === 2 ? { participantId: s.participantId } : null;
    }),
    { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join and publish camera + microphone` });
  assert.match(joined.participantId, /\S/);
  participants.set(label, { page, participantId: joined.participantId });
  return participants.get(label);
}

// Waits until `receiver` decodes video from `sender` and hears it on an audio
// slot (the slot `speakers` names for `sender`), both growing between two
// samples, at the resolution the sender really encodes.
async function assertReceives(receiverLabel, senderLabel) {
  const receiver = participants.get(receiverLabel);
  const sender = participants.get(senderLabel);
  const what = `${receiverLabel} <- ${senderLabel}`;

  await pollUntil(() => receiver.page.evaluate((pid) => {
    const video = Object.values(window.demoState.remoteTracks)
      .some((t) => t.participantId === pid && t.kind === 'video' && t.subscribed && t.track.readyState === 'live');
    const slot = window.myriad.slots
      .some((s) => s.participantId === pid && s.track && s.track.readyState === 'live');
    return video && slot;
  }, sender.participantId), { timeoutMs: MEDIA_TIMEOUT_MS, description: `${what}: video subscribed and an audio slot carrying the sender` });

  const first = await pollUntil(async () => {
    const stats = await rtpStats(receiver.page);
    const video = inboundFrom(stats, sender.participantId, 'video');
    const audio = inboundFrom(stats, sender.participantId, 'audio');
    return video && audio && video.framesDecoded > 0 && audio.packetsReceived > 0 ? { video, audio } : null;
  }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `${what}: first decoded video frame and audio packet on its slot` });

  await pollUntil(async () => {
    const stats = await rtpStats(receiver.page);
    const video = inboundFrom(stats, sender.participantId, 'video');
    const audio = inboundFrom(stats, sender.participantId, 'audio');
    // Same slot as before (the speakers do not change in this room).
    return video && audio && audio.slot === first.audio.slot
      && video.framesDecoded > first.video.framesDecoded && audio.packetsReceived > first.audio.packetsReceived;
  }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `${what}: framesDecoded and the slot's audio packetsReceived to keep growing` });

  // The sender may scale its camera down (CPU or bandwidth adaptation), so
  // compare with what it encodes right now rather than with 1280x720.
  let last = null;
  await pollUntil(async () => {
    const [rx, tx] = await Promise.all([rtpStats(receiver.page), rtpStats(sender.page)]);
    const video = inboundFrom(rx, sender.participantId, 'video');
    const sent = outboundVideoSize(tx);
    last = { received: { width: video.frameWidth, height: video.frameHeight }, sent };
    return sent && video.frameWidth === sent.width && video.frameHeight === sent.height;
  }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `${what}: received frame size to equal the sender's outbound frame size` })
    .catch((err) => {
      throw new Error(`${err.message}; last sample ${JSON.stringify(last)}`);
    });
}

async function assertAllReceive(labels) {
  // Sequential on purpose: every pair is checked on a loaded 2-core machine,
  // and parallel getStats() calls only add contention.
  for (const receiver of labels) {
    for (const sender of labels) {
      if (receiver !== sender) await assertReceives(receiver, sender);
    }
  }
}

describe('three-party call through Myriad', { timeout: 600000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ microphone: 'tone' });
  });

  after(async () => {
    await closeAndReport({ browser, server, failed, lines: 80 });
  });

  step('the demo page loads without console errors', async () => {
    const page = await browser.newParticipantPage(`${server.url}/`, 'probe');
    await pollUntil(() => page.evaluate(() => !!window.demoState && document.readyState === 'complete'),
      { timeoutMs: 10000, description: 'index.html to load demo.js' });
    const errors = browser.consoleLog.filter((line) => line.startsWith('[probe]') && /error/i.test(line));
    assert.deepEqual(errors, []);
    await page.close();
  });

  step('A, B and C join the room and publish', async () => {
    for (const label of ['A', 'B', 'C']) await joinParticipant(label);
    const ids = [...participants.values()].map((p) => p.participantId);
    assert.equal(new Set(ids).size, 3, `participant ids must be distinct: ${ids}`);
  });

  step('each of A, B, C receives the other two\'s video and audio', async () => {
    await assertAllReceive(['A', 'B', 'C']);
  }, 300000);

  step('the demo shows A who is in its audio slots: B and C, highlighted tiles', async () => {
    const { page } = participants.get('A');
    const ids = { B: participants.get('B').participantId, C: participants.get('C').participantId };
    const shown = await pollUntil(() => page.evaluate(({ B, C }) => {
      const names = [...document.querySelectorAll('#speakers .slot.filled .slot-name')].map((e) => e.textContent).sort();
      const speaking = [...document.querySelectorAll('.tile.speaking')].map((e) => e.dataset.participantId).sort();
      const count = document.getElementById('participant-count').textContent;
      return names.join() === 'B,C' && speaking.join() === [B, C].sort().join() ? { names, speaking, count } : null;
    }, ids), { timeoutMs: EVENT_TIMEOUT_MS, description: 'A\'s speakers strip to name B and C and their tiles to be highlighted' });
    assert.equal(shown.count, '3 participants');
    const slots = await page.evaluate(() => window.myriad.slots.length);
    assert.equal(slots, 3, 'K = 3 audio slots (rooms.audio_slots default)');
  });

  step('C leaves: A and B get participantLeft, trackUnsubscribed, an ended video track and C out of their slots', async () => {
    const c = participants.get('C');
    await c.page.click('#join-button');
    await pollUntil(() => c.page.evaluate(() => window.demoState.phase === 'idle'),
      { timeoutMs: EVENT_TIMEOUT_MS, description: 'C to leave' });
    const cEvents = await demoState(c.page, () => window.demoState.events.filter((e) => e.type === 'disconnected'));
    assert.equal(cEvents.at(-1)?.reason, 'requested');

    for (const label of ['A', 'B']) {
      const { page } = participants.get(label);
      const result = await pollUntil(() => page.evaluate((pid) => {
        const s = window.demoState;
        const left = s.events.some((e) => e.type === 'participantLeft' && e.participantId === pid);
        const unsubscribed = new Set(s.events
          .filter((e) => e.type === 'trackUnsubscribed' && e.participantId === pid).map((e) => e.kind));
        const tracks = Object.values(s.remoteTracks).filter((t) => t.participantId === pid);
        const allEnded = tracks.length === 1 && tracks.every((t) => !t.subscribed && t.track.readyState === 'ended');
        const tileGone = !document.querySelector(`.tile[data-participant-id="${pid}"]`);
        const stillInMap = window.myriad.participants.has(pid);
        const inSlot = window.myriad.speakers.some((sp) => sp.participantId === pid);
        return left && unsubscribed.has('video') && allEnded && tileGone && !stillInMap && !inSlot
          ? { left, unsubscribed: [...unsubscribed].sort(), allEnded, tileGone } : null;
      }, c.participantId), { timeoutMs: EVENT_TIMEOUT_MS, description: `${label} to see C leave, C's video end and C leave its slot` });
      assert.deepEqual(result.unsubscribed, ['video']);
    }
    await c.page.close();
    participants.delete('C');
  });

  step('A and B still receive each other after C left', async () => {
    await assertAllReceive(['A', 'B']);
  }, 120000);

  step('D joins late and exchanges media with A and B', async () => {
    const d = await joinParticipant('D');
    const snapshotNames = await d.page.evaluate(() => Object.values(window.demoState.participants).map((p) => p.name).sort());
    assert.deepEqual(snapshotNames, ['A', 'B']);
    for (const label of ['A', 'B']) {
      await assertReceives('D', label);
      await assertReceives(label, 'D');
    }
  }, 240000);

  step('no SDK errors were reported on any page', async () => {
    for (const [label, { page }] of participants) {
      const errors = await page.evaluate(() => window.demoState.errors);
      assert.deepEqual(errors, [], `${label} reported errors`);
    }
  });

  step('server shutdown: every page gets left(server_shutdown) and the server exits 0', async () => {
    const exit = await server.stop();
    for (const [label, { page }] of participants) {
      const reason = await pollUntil(() => page.evaluate(() => {
        const e = window.demoState.events.find((ev) => ev.type === 'disconnected');
        return e ? e.reason : null;
      }), { timeoutMs: EVENT_TIMEOUT_MS, description: `${label} to be disconnected` });
      assert.equal(reason, 'server_shutdown', `${label} disconnect reason`);
    }
    assert.deepEqual(exit, { code: 0, signal: null });
  }, 60000);
});
