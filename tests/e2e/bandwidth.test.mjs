// Downlink bandwidth (docs/protocol.md "Bandwidth", issue 5). A publisher
// sends Chromium's 1280x720 fake camera as VP8 simulcast; a bystander with a
// 180-pixel tile and a subscriber with a 720-pixel tile make the server plan
// a 180p and a 720p tier. The subscriber receives the camera through a
// user-space impairment relay (myriad-impair: the kernel here has no netem),
// its remote candidate rewritten to the relay. Checked:
//   - unimpaired, the subscriber receives the top tier;
//   - the relay caps the subscriber's downlink at 500 kbit/s: the server's
//     estimate of that downlink falls, the subscriber is moved to a lower
//     tier (frameHeight at most 360) and, sampled every 200 ms, never goes
//     2 s without a newly decoded frame (no big stall);
//   - the cap is lifted: the subscriber climbs back to the top tier, again
//     without a big stall.
// Every wait polls with a deadline; the only timed loops are measurement
// windows.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, inboundFrom, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { routeMediaThroughRelay, startRelay } from './lib/impair.mjs';
import { startServer } from './lib/server.mjs';

const CAP_KBPS = 500;
// A router's queue at 500 kbit/s: 30 KB is about half a second.
const QUEUE_BYTES = 30000;
const JOIN_TIMEOUT_MS = 20000;
const MEDIA_TIMEOUT_MS = 45000;
const DOWN_TIMEOUT_MS = 20000;
const UP_TIMEOUT_MS = 40000;
const BIG_STALL_MS = 2000;
const SAMPLE_INTERVAL_MS = 200;

const room = `bw-${process.pid}-${Date.now().toString(36)}`;
let server;
let browser;
const relays = new Map(); // server media port -> relay
let failed = false;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const relay of relays.values()) await relay.stop();
  await closeAndReport({ browser, server, failed, lines: 120 });
  if (failed) for (const relay of relays.values()) console.log(relay.lines.join('\n'));
});

function step(name, fn, timeout = 120000) {
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

/** Sum of the server's samples of subscriber downlink estimates, and their count. */
async function estimateHistogram() {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const sum = Number((/^myriad_downlink_estimate_bps_sum (\S+)$/m.exec(text) || [])[1] || 0);
  const count = Number((/^myriad_downlink_estimate_bps_count (\S+)$/m.exec(text) || [])[1] || 0);
  return { sum, count };
}

async function allocationSteps(kind) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const match = new RegExp(`^myriad_bandwidth_allocation_steps_total\\{step="${kind}"\\} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('downlink bandwidth through a capped link', { timeout: 600000 }, () => {
  let publisher;
  let subscriber;

  async function inbound() {
    return inboundFrom(await rtpStats(subscriber), publisher.participantId, 'video');
  }

  // Samples the subscriber until `done(sample)` (or, with `window`, for
  // `timeoutMs`); returns the samples and the longest time framesDecoded did
  // not grow.
  async function watch(description, done, timeoutMs, { window = false } = {}) {
    const samples = [];
    const start = Date.now();
    let longestStall = 0;
    let lastProgress = null;
    for (;;) {
      const video = await inbound();
      const now = Date.now() - start;
      if (video) {
        samples.push({ t: now, height: video.frameHeight, frames: video.framesDecoded });
        if (!lastProgress || video.framesDecoded > lastProgress.frames) {
          lastProgress = { t: now, frames: video.framesDecoded };
        } else {
          longestStall = Math.max(longestStall, now - lastProgress.t);
        }
        if (done(video)) return { samples, longestStall, elapsed: now };
      }
      if (now > timeoutMs) {
        if (window) return { samples, longestStall, elapsed: now };
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; samples ${samples.map((s) => `${s.t}:${s.height}/${s.frames}`).join(' ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS));
    }
  }

  step('a VP8 simulcast publisher, a 180p bystander and a 720p subscriber behind a relay join', async () => {
    const page = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Pub&autojoin=1&publish=video&codec=vp8`, 'Pub');
    const id = await pollUntil(() => page.evaluate(() => {
      const s = window.demoState;
      if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
      return s.phase === 'joined' && s.publications.length === 1 ? s.participantId : null;
    }), { timeoutMs: JOIN_TIMEOUT_MS, description: 'the publisher to join' });
    publisher = { page, participantId: id };

    const bystander = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Small&autojoin=1&publish=none&tileHeight=180`, 'Small');
    await pollUntil(() => bystander.evaluate(() => window.demoState.phase === 'joined'),
      { timeoutMs: JOIN_TIMEOUT_MS, description: 'the bystander to join' });

    subscriber = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Sub&autojoin=1&publish=none&tileHeight=720`, 'Sub', {
        beforeLoad: (p) => routeMediaThroughRelay(p, async (port) => {
          if (!relays.has(port)) relays.set(port, await startRelay(port, ['--queue-bytes', String(QUEUE_BYTES), '--seed', '5']));
          return relays.get(port).port;
        }),
      });
    await pollUntil(() => subscriber.evaluate(() => window.demoState.phase === 'joined'),
      { timeoutMs: JOIN_TIMEOUT_MS, description: 'the subscriber to join' });
  });

  step('unimpaired, the subscriber receives the top tier through the relay', async (t) => {
    const { elapsed } = await watch('720p frames', (v) => v.frameHeight >= 720 && v.framesDecoded > 0, MEDIA_TIMEOUT_MS);
    assert.equal(relays.size, 1, 'the media went through one relay');
    const stats = JSON.parse(await [...relays.values()][0].command('stats'));
    t.diagnostic(`720p after ${elapsed} ms; relay ${JSON.stringify(stats)}`);
  });

  step(`capped at ${CAP_KBPS} kbit/s, it moves to a lower tier without a big stall`, async (t) => {
    const relay = [...relays.values()][0];
    const downBefore = await allocationSteps('down');
    const histogramBefore = await estimateHistogram();
    await relay.command(`down-kbps ${CAP_KBPS}`);
    const down = await watch('a tier of at most 360 rows', (v) => v.frameHeight > 0 && v.frameHeight <= 360, DOWN_TIMEOUT_MS);
    // Stay a while on the capped link: the lower tier must keep playing.
    const onCap = await watch('5 s on the capped link', () => false, 5000, { window: true });
    const histogramAfter = await estimateHistogram();
    const meanEstimate = (histogramAfter.sum - histogramBefore.sum) / Math.max(1, histogramAfter.count - histogramBefore.count);
    t.diagnostic(`lower tier after ${down.elapsed} ms; longest stall ${down.longestStall} ms while switching, ${onCap.longestStall} ms in 5 s after; mean estimate while capped ${Math.round(meanEstimate / 1000)} kbit/s`);
    assert.ok(down.longestStall < BIG_STALL_MS, `no big stall while moving down (longest ${down.longestStall} ms)`);
    assert.ok(onCap.longestStall < BIG_STALL_MS, `no big stall on the capped link (longest ${onCap.longestStall} ms)`);
    assert.ok(meanEstimate < 2 * CAP_KBPS * 1000, `the server's estimates fell towards the cap (mean ${Math.round(meanEstimate)} bit/s)`);
    assert.ok((await allocationSteps('down')) > downBefore, 'the allocator stepped down');
    const last = onCap.samples[onCap.samples.length - 1];
    assert.ok(last.height > 0 && last.height <= 360, `still on a lower tier (${last.height} rows)`);
  });

  step('the cap lifts: it climbs back to the top tier without a big stall', async (t) => {
    const relay = [...relays.values()][0];
    await relay.command('down-kbps 0');
    const up = await watch('720p frames again', (v) => v.frameHeight >= 720, UP_TIMEOUT_MS);
    t.diagnostic(`top tier after ${up.elapsed} ms; longest stall ${up.longestStall} ms`);
    assert.ok(up.longestStall < BIG_STALL_MS, `no big stall while recovering (longest ${up.longestStall} ms)`);
    const heights = [...new Set(up.samples.map((s) => s.height).filter((h) => h > 0))];
    t.diagnostic(`heights on the way up: ${heights.join(' -> ')}`);
  });
});
