// Browsers in a room with 50 synthetic participants from myriad-loadtest, who
// all publish a microphone and talk one at a time on a seeded schedule. The
// browsers receive audio only through their K = 3 audio slots and must:
//   (a) receive the talker's audio on a slot (inbound-rtp packetsReceived
//       growing on the slot's track),
//   (b) be told by `speakers` that this slot carries that talker, and
//   (c) follow the schedule: when another participant talks, a slot switches
//       to it and `speakers` says so, also when all slots are taken and the
//       new talker displaces a silent holder.
// Who a slot really carries is read from the media: the load generator's
// payload record names the publisher and its talk spurt (lib/slot-probe.mjs),
// so (b) and (c) compare the signalling with the packets, not with a guess of
// the schedule. The schedule is seeded; every wait polls with a deadline.
//
// The browsers keep Chromium's fake microphone (a 20 ms beep every 500 ms),
// which is never loud enough to be a speaker, so the slots belong to the
// synthetic talkers; except that the Viewer publishes it with `priority`, so
// it holds one of the Listener's slots throughout. Roster pages are 10
// participants, so a browser that joins after the synthetic participants
// assembles its roster from six pages.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { launchBrowser, pollUntil } from './lib/browser.mjs';
import { findLoadtestBinary, startLoadtest } from './lib/loadtest.mjs';
import { startServer } from './lib/server.mjs';
import { agreeingTalkers, installSlotProbes, sampleSlots, syntheticIndex } from './lib/slot-probe.mjs';

const SYNTHETIC = 50;
const SLOTS = 3;
const room = `large-${process.pid}-${Date.now().toString(36)}`;

// One speech channel (talkingShare * 50 = 1): exactly one synthetic talker at
// a time, at -20 dBov, for 3-5 s, then another.
const scenario = {
  name: 'e2e-large-room',
  description: 'browser e2e: 50 audio publishers, one talker at a time',
  room,
  participants: SYNTHETIC,
  audioSubscribers: 0,
  videoPublishers: 0,
  videoSubscribers: 0,
  durationSeconds: 35,
  maxRunSeconds: 80,
  joinRatePerSecond: 50,
  seed: 7,
  audio: { talkingShare: 0.02, minSpurtMs: 3000, maxSpurtMs: 5000, loudestDbov: -20, quietestDbov: -20 },
  thresholds: { minJoinedPercent: 100 },
};

const BROWSERS = [
  // A participant with camera and (quiet, priority) microphone, and a listener.
  { label: 'Viewer', query: 'publish=both&priority=1', publications: 2 },
  { label: 'Listener', query: 'publish=none', publications: 0 },
];
const ROSTER_PAGE_SIZE = 10;

let server;
let browser;
let loadtest;
let failed = false;
const pages = new Map(); // label -> {page, participantId}

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

// Polls `label`'s page until a slot carries a talking synthetic participant
// (not in `exclude`) whose name `speakers` gives for the same slot; then
// checks that the slot's packetsReceived grows while it holds the slot.
// Returns that slot's sample, the indexes of everyone in a slot at that
// instant (`occupants`) and the event log length then (`eventCount`).
async function awaitAgreeingTalker(label, { exclude = new Set(), timeoutMs = 30000 } = {}) {
  const { page } = pages.get(label);
  let last = null;
  const found = await pollUntil(async () => {
    last = await sampleSlots(page);
    const talker = agreeingTalkers(last.slots).find((t) => !exclude.has(t.index));
    if (!talker) return null;
    const occupants = new Set(last.slots.map((s) => syntheticIndex(s.name)).filter((i) => i !== null));
    return { ...talker, occupants, eventCount: last.eventCount };
  }, { timeoutMs, intervalMs: 100, description: `${label}: a slot whose speakers entry and media name the same talking synthetic participant${exclude.size ? ` not in [${[...exclude]}]` : ''}` })
    .catch((err) => {
      throw new Error(`${err.message}; last sample ${JSON.stringify(last)}`);
    });
  const grown = await pollUntil(async () => {
    const sample = (await sampleSlots(page)).slots[found.slot];
    return sample.packetsReceived > found.packetsReceived && sample.participantId === found.participantId ? sample : null;
  }, { timeoutMs: 5000, intervalMs: 100, description: `${label}: packetsReceived to grow on slot ${found.slot} while lt-${found.index} holds it` });
  return { ...found, grownTo: grown.packetsReceived, audioLevel: Math.max(found.audioLevel, grown.audioLevel) };
}

describe('a room with 50 synthetic participants: audio slots follow the talker', { timeout: 300000 }, () => {
  before(async () => {
    server = await startServer({
      extraEnv: { MYRIAD_ROOMS_AUDIO_SLOTS: String(SLOTS), MYRIAD_ROOMS_ROSTER_PAGE_SIZE: String(ROSTER_PAGE_SIZE) },
    });
    browser = await launchBrowser();
    await installSlotProbes(browser.context);
  });

  after(async () => {
    if (loadtest) await loadtest.stop().catch(() => {});
    if (browser) await browser.close().catch(() => {});
    if (server) {
      const exit = await server.stop();
      if (failed) {
        console.error(`\nmyriad log: ${server.logPath} (exit ${JSON.stringify(exit)})`);
        console.error(await server.logTail(60));
        if (loadtest) console.error(`\nloadtest log: ${loadtest.logPath}\n${await loadtest.logTail(30)}`);
        if (browser) console.error(`\nbrowser console:\n${browser.consoleLog.slice(-60).join('\n')}`);
      } else {
        await server.cleanup();
      }
    }
  });

  async function joinBrowser({ label, query, publications }) {
    const page = await browser.newParticipantPage(
      `${server.url}/index.html?room=${encodeURIComponent(room)}&name=${label}&autojoin=1&${query}`, label);
    const joined = await pollUntil(() => page.evaluate((expected) => {
      const s = window.demoState;
      if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
      const slots = window.myriad ? window.myriad.slots : [];
      const ready = s.phase === 'joined' && s.publications.length === expected
        && slots.length > 0 && slots.every((slot) => slot.track && slot.track.readyState === 'live');
      return ready ? { participantId: s.participantId, slots: slots.length } : null;
    }, publications), { timeoutMs: 20000, description: `${label} to join, publish and receive its slot tracks` });
    assert.equal(joined.slots, SLOTS);
    pages.set(label, { page, participantId: joined.participantId });
  }

  step('the browsers join and bind their audio slots', async () => {
    for (const entry of BROWSERS) await joinBrowser(entry);
  });

  step(`${SYNTHETIC} synthetic participants join: every browser's roster has them all`, async () => {
    const bin = findLoadtestBinary();
    assert.ok(bin, 'myriad-loadtest not found: build it (ninja myriad-loadtest) or set MYRIAD_LOADTEST_BIN');
    loadtest = await startLoadtest({ bin, scenario, port: server.port, dir: server.tempDir });
    for (const [label, { page }] of pages) {
      const roster = await pollUntil(() => page.evaluate((expected) => {
        const client = window.myriad;
        const names = [...client.participants.values()].map((p) => p.name).filter((n) => /^lt-\d+$/.test(n));
        return client.participantCount === expected && names.length === expected - 2
          ? { count: client.participantCount, synthetic: names.length, tiles: document.querySelectorAll('.tile').length,
            label: document.getElementById('participant-count').textContent }
          : null;
      }, SYNTHETIC + BROWSERS.length), { timeoutMs: 30000, description: `${label} to list all ${SYNTHETIC} synthetic participants` })
        .catch(async (err) => {
          throw new Error(`${err.message}; loadtest: ${JSON.stringify(loadtest.exitInfo)}\n${await loadtest.logTail(10)}`);
        });
      // 51 others on pages of 49: the first page is full.
      assert.equal(roster.tiles, 49, `${label} tiles on page 1`);
      assert.equal(roster.label, `${SYNTHETIC + BROWSERS.length} participants`);
    }
  });

  const firstTalker = new Map(); // label -> agreeing talker sample

  step(`a browser joining now gets the roster in pages of ${ROSTER_PAGE_SIZE}`, async () => {
    await joinBrowser({ label: 'Latecomer', query: 'publish=none', publications: 0 });
    const { page } = pages.get('Latecomer');
    const roster = await pollUntil(() => page.evaluate(() => {
      const client = window.myriad;
      const pagesFetched = window.demoState.events.filter((e) => e.type === 'roster' && e.source === 'page').length;
      return client.rosterComplete ? { count: client.participantCount, names: [...client.participants.values()].map((p) => p.name), pagesFetched } : null;
    }), { timeoutMs: 10000, description: 'Latecomer to fetch every roster page' });
    const total = SYNTHETIC + BROWSERS.length + 1;
    assert.equal(roster.count, total);
    assert.equal(new Set(roster.names).size, total - 1);
    // The snapshot holds the first page; rosterPage fetched the rest.
    assert.equal(roster.pagesFetched, Math.ceil((total - 1) / ROSTER_PAGE_SIZE) - 1);
    // The others hear about it in a batch.
    for (const label of BROWSERS.map((b) => b.label)) {
      await pollUntil(() => pages.get(label).page.evaluate((n) => window.myriad.participantCount === n, total),
        { timeoutMs: 10000, description: `${label} to count the Latecomer` });
    }
  });

  // The browsers are checked side by side: they follow the same schedule.
  const eachPage = (fn) => Promise.all([...pages.keys()].map(fn));

  step('(a)+(b) each browser hears the current talker on a slot that speakers names', async () => {
    await eachPage(async (label) => {
      const talker = await awaitAgreeingTalker(label);
      firstTalker.set(label, talker);
      // The same participant in the page's `speakers` event log.
      const named = await pages.get(label).page.evaluate(({ participantId, slot }) => window.demoState.events
        .some((e) => e.type === 'speakers' && e.slots[slot] === participantId), talker);
      assert.ok(named, `${label}: a speakers event put ${talker.name} in slot ${talker.slot}`);
      // And the demo names it in the speakers strip.
      await pollUntil(() => pages.get(label).page.evaluate(({ slot, name }) => {
        const item = document.querySelector(`#speakers .slot[data-slot="${slot}"]`);
        return item && item.classList.contains('filled') && item.querySelector('.slot-name').textContent === name;
      }, talker), { timeoutMs: 5000, description: `${label}: the speakers strip to show ${talker.name} in slot ${talker.slot}` });
      console.log(`${label}: slot ${talker.slot} carries ${talker.name}, packetsReceived ${talker.packetsReceived} -> ${talker.grownTo}, audioLevel ${talker.audioLevel}`);
    });
  });

  step('(c) when the schedule moves to another talker, a slot and speakers follow', async () => {
    await eachPage(async (label) => {
      const before = firstTalker.get(label);
      // A talker who held no slot when the first one was heard: it can only
      // be in a slot now through a speakers change made after that instant.
      const next = await awaitAgreeingTalker(label, { exclude: before.occupants, timeoutMs: 40000 });
      assert.notEqual(next.index, before.index);
      const announced = await pages.get(label).page.evaluate(({ participantId, slot, from }) => window.demoState.events
        .slice(from)
        .some((e) => e.type === 'speakers' && e.slots[slot] === participantId && e.changed.includes(slot)),
      { participantId: next.participantId, slot: next.slot, from: before.eventCount });
      assert.ok(announced, `${label}: a speakers event moved ${next.name} into slot ${next.slot}`);
      console.log(`${label}: then slot ${next.slot} carries ${next.name} (before: ${before.name} in slot ${before.slot}, slots held by [${[...before.occupants].map((i) => `lt-${i}`)}])`);
    });
  }, 90000);

  step('(c) with every slot taken, a new talker displaces a silent holder in its slot', async () => {
    await eachPage(async (label) => {
      const { page } = pages.get(label);
      // Wait until the talkers hold every slot they can get, then for a
      // talker who held none of them. The Viewer's priority source keeps one
      // position at every page (at its own page that position carries the
      // standby speaker, usually nobody with one talker at a time).
      const talkerSlots = SLOTS - 1;
      const full = await pollUntil(async () => {
        const sample = await sampleSlots(page);
        const occupants = sample.slots.map((s) => syntheticIndex(s.name)).filter((i) => i !== null);
        return occupants.length >= talkerSlots ? { occupants: new Set(occupants), eventCount: sample.eventCount } : null;
      }, { timeoutMs: 40000, intervalMs: 100, description: `${label}: synthetic talkers in ${talkerSlots} slots` });
      const next = await awaitAgreeingTalker(label, { exclude: full.occupants, timeoutMs: 40000 });
      // The speakers event that brought it in replaced someone in that slot.
      const replaced = await page.evaluate(({ participantId, slot, from }) => {
        const events = window.demoState.events.filter((e) => e.type === 'speakers');
        const firstAfter = window.demoState.events.slice(from)
          .find((e) => e.type === 'speakers' && e.slots[slot] === participantId);
        const index = events.indexOf(firstAfter);
        return index > 0 ? events[index - 1].slots[slot] : null;
      }, { participantId: next.participantId, slot: next.slot, from: full.eventCount });
      assert.ok(replaced && replaced !== next.participantId, `${label}: ${next.name} took slot ${next.slot} from another holder (was ${replaced})`);
      assert.ok(!full.occupants.has(next.index));
      const replacedName = await page.evaluate((id) => window.myriad.participants.get(id)?.name, replaced);
      console.log(`${label}: ${next.name} displaced ${replacedName} in slot ${next.slot} (synthetic holders were [${[...full.occupants].map((i) => `lt-${i}`)}])`);
    });
  }, 90000);

  step('the Viewer\'s priority microphone held a slot at the others throughout, never at itself', async () => {
    const viewerId = pages.get('Viewer').participantId;
    for (const label of ['Listener', 'Latecomer']) {
      const history = await pages.get(label).page.evaluate(() => window.demoState.events
        .filter((e) => e.type === 'speakers').map((e) => e.slots));
      const first = history.findIndex((slots) => slots.includes(viewerId));
      assert.ok(first >= 0, `${label}: the Viewer never got a slot`);
      const without = history.slice(first).filter((slots) => !slots.includes(viewerId));
      assert.deepEqual(without, [], `${label}: speakers without the Viewer after it got a slot`);
    }
    const own = await pages.get('Viewer').page.evaluate((id) => window.demoState.events
      .filter((e) => e.type === 'speakers' && e.slots.includes(id)).length, viewerId);
    assert.equal(own, 0, 'the Viewer never hears itself');
  });

  step('the load generator finishes its run with every synthetic participant joined', async () => {
    const exit = await pollUntil(() => loadtest.exitInfo, { timeoutMs: 90000, intervalMs: 500, description: 'myriad-loadtest to exit' });
    const report = await loadtest.report();
    assert.equal(report.joins?.completed, SYNTHETIC, `joins: ${JSON.stringify(report.joins)}`);
    assert.deepEqual(exit, { code: 0, signal: null }, await loadtest.logTail(20));
  }, 120000);

  step('no SDK errors on any page', async () => {
    for (const [label, { page }] of pages) {
      assert.deepEqual(await page.evaluate(() => window.demoState.errors), [], `${label} errors`);
    }
  });
});
