// Simulcast tiers (docs/protocol.md "Simulcast tiers", issue 4), once with VP8
// and once with H.264. One publisher sends Chromium's 1280x720 fake camera as
// three simulcast encodings (q, h, f); three subscribers render it in tiles
// 180, 360 and 720 CSS pixels tall (devicePixelRatio 1, the demo's
// tileHeight), so the SDK asks for the 180p, 360p and 720p levels. Checked:
//   - every subscriber receives frames of its level's height (inbound-rtp
//     frameHeight, within one ladder step);
//   - the publisher applies the server's tier plan: its outbound-rtp
//     encodings are active as the plan says, at the plan's sizes;
//   - the 180p tile grows to 720 CSS pixels: the ResizeObserver path sends
//     setVideoLevel, the received height reaches the new level within 2 s,
//     framesDecoded (sampled every 100 ms in the page, until the re-plan the
//     resize causes is applied and 1.5 s more) never stalls for more than
//     500 ms, and the receiver asks for no key frame (no PLI or FIR: its
//     decoder never lost the picture, so the switch happened on a key frame
//     and the rewritten stream was continuous);
//   - the encoding the new plan pauses sends nothing (bytesSent stops), and
//     when every subscriber has left, all encodings are paused.
// Every wait polls with a deadline; nothing sleeps to synchronise (the only
// timed loops are measurement windows).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, inboundFrom, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const CAPTURE = { width: 1280, height: 720 };
const RIDS = ['q', 'h', 'f'];
// Tile heights in CSS pixels; the tile's 2 px border leaves a picture 4 px
// shorter, whose smallest level at least as tall is still the one named.
const SUBSCRIBERS = [
  { label: 'S180', tileHeight: 180, wants: 180 },
  { label: 'S360', tileHeight: 360, wants: 360 },
  { label: 'S720', tileHeight: 720, wants: 720 },
];
const RESIZED = { label: 'S180', tileHeight: 720, wants: 720 };

const JOIN_TIMEOUT_MS = 20000;
// Bandwidth estimation starts low and ramps up; the 720p encoding needs a few
// seconds of it, and tier plans are debounced.
const MEDIA_TIMEOUT_MS = 45000;
const SWITCH_DEADLINE_MS = 2000;
const MAX_STALL_MS = 500;
// Every 25 ms: the switch time is read from the first sample showing the new
// height, so the period is the measurement's resolution (100 ms overstated
// switches by 50 ms on average against a 2000 ms bound).
const SAMPLE_INTERVAL_MS = 25;
// The resize is watched until the re-plan it causes is applied and
// AFTER_PLAN_WINDOW_MS more have passed (at most MAX_SAMPLE_WINDOW_MS).
const AFTER_PLAN_WINDOW_MS = 1500;
const MAX_SAMPLE_WINDOW_MS = 30000;
// How long a paused encoding is watched to show that it sends nothing.
const PAUSE_WINDOW_MS = 1500;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

let anyFailed = false;
after(async () => {
  await closeAndReport({ browser, server, failed: anyFailed, lines: 80 });
});

/** The ladder index whose height is nearest to `height`. */
function nearestLevel(levels, height) {
  let best = 0;
  levels.forEach((h, i) => {
    if (Math.abs(h - height) < Math.abs(levels[best] - height)) best = i;
  });
  return best;
}

/** True when `height` is within one ladder step of the level `wantedHeight`. */
function withinOneStep(levels, height, wantedHeight) {
  return height > 0 && Math.abs(nearestLevel(levels, height) - levels.indexOf(wantedHeight)) <= 1;
}

/** The publisher's video encodings by rid. */
function encodingsByRid(stats) {
  return Object.fromEntries(stats.outbound.filter((s) => s.kind === 'video' && s.rid).map((s) => [s.rid, s]));
}

/** The publisher page's newest tier plan, as its SDK handled it. */
function newestPlan(page) {
  return page.evaluate(() => {
    const plans = window.demoState.tierPlans;
    return plans.length ? plans[plans.length - 1] : null;
  });
}

function planSummary(plan) {
  if (!plan) return 'none';
  const encodings = plan.encodings.map((e) => (e.active ? `${e.rid}:/${e.scaleResolutionDownBy}` : `${e.rid}:off`));
  return `v${plan.version} [${encodings.join(' ')}]${plan.applied ? '' : ` NOT APPLIED: ${plan.error}`}`;
}

// Starts sampling the page's inbound video from `publisherId` every
// SAMPLE_INTERVAL_MS, in the page (no round trip through the test runner
// between samples), until stopSampling() or MAX_SAMPLE_WINDOW_MS. With
// `tileHeight`, the page's tiles are resized to it right after the first
// sample. Resolves with the samples, `t` in ms since the first one (Date.now()
// based, so samples of several pages line up).
function startSampling(page, publisherId, tileHeight = null) {
  return page.evaluate(async ({ pid, height, intervalMs, maxMs }) => {
    const receiverTrack = Object.values(window.demoState.remoteTracks)
      .find((t) => t.participantId === pid && t.kind === 'video' && t.subscribed).track;
    const read = async () => {
      const report = await window.myriad.pc.getStats(receiverTrack);
      let sample = null;
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        sample = {
          t: Date.now(),
          framesDecoded: s.framesDecoded || 0,
          frameHeight: s.frameHeight || 0,
          keyFramesDecoded: s.keyFramesDecoded || 0,
          pliCount: s.pliCount || 0,
          firCount: s.firCount || 0,
          framesDropped: s.framesDropped || 0,
          freezeCount: s.freezeCount || 0,
          totalFreezesDuration: s.totalFreezesDuration || 0,
        };
      });
      return sample;
    };
    window.__stopSampling = false;
    const samples = [await read()];
    const t0 = samples[0].t;
    if (height !== null) window.demoSetTileHeight(height);
    for (let i = 1; !window.__stopSampling && i * intervalMs <= maxMs; i += 1) {
      const wait = t0 + i * intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      samples.push(await read());
    }
    return samples.map((s) => ({ ...s, t: s.t - t0 }));
  }, { pid: publisherId, height: tileHeight, intervalMs: SAMPLE_INTERVAL_MS, maxMs: MAX_SAMPLE_WINDOW_MS });
}

function stopSampling(page) {
  return page.evaluate(() => {
    window.__stopSampling = true;
  });
}

function sampleReport(samples) {
  return samples.map((s) => `${s.t}ms:${s.frameHeight}/${s.framesDecoded}`).join(' ');
}

/** Waits `ms` by polling the clock (a measurement window, not synchronisation). */
function measureFor(ms) {
  const start = Date.now();
  return pollUntil(() => Date.now() - start >= ms, { timeoutMs: ms + 5000, intervalMs: 50, description: `${ms} ms to pass` });
}

// Longest time framesDecoded did not grow, over consecutive samples.
function longestStallMs(samples) {
  let longest = 0;
  let since = samples[0];
  for (const sample of samples.slice(1)) {
    if (sample.framesDecoded > since.framesDecoded) {
      since = sample;
    } else {
      longest = Math.max(longest, sample.t - since.t);
    }
  }
  return longest;
}

function scenario(codec) {
  const room = `simulcast-${codec}-${process.pid}-${Date.now().toString(36)}`;
  const mimeType = codec === 'h264' ? 'video/H264' : 'video/VP8';
  let failed = false;
  let publisher;
  let levels;
  const subscribers = new Map(); // label -> {page, participantId}

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
        anyFailed = true;
        throw err;
      }
    });
  }

  // Waits until `label` receives frames of about `wantedHeight` from the publisher.
  async function expectReceived(label, wantedHeight) {
    const { page } = subscribers.get(label);
    let last = null;
    await pollUntil(async () => {
      const stats = await rtpStats(page);
      const video = inboundFrom(stats, publisher.participantId, 'video');
      if (!video) return false;
      const ok = withinOneStep(levels, video.frameHeight, wantedHeight) && video.framesDecoded > (last ? last.framesDecoded : 0);
      last = video;
      return ok;
    }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `${label} to decode frames about ${wantedHeight} tall` }).catch(async (err) => {
      throw new Error(`${err.message}; last inbound ${JSON.stringify(last)}; publisher plan ${planSummary(await newestPlan(publisher.page))}`);
    });
    assert.equal(last.mimeType, mimeType, `${label} decodes ${mimeType}`);
    return last;
  }

  // Waits until the publisher applied a plan that satisfies `accept`, and its
  // encodings are (in)active as that plan says, at the plan's sizes.
  async function expectPlanApplied(description, accept) {
    let plan = null;
    let encodings = null;
    await pollUntil(async () => {
      plan = await newestPlan(publisher.page);
      if (!plan || !plan.applied || !accept(plan)) return false;
      encodings = encodingsByRid(await rtpStats(publisher.page));
      return plan.encodings.every((e) => {
        const sent = encodings[e.rid];
        if (!sent || sent.active !== !!e.active) return false;
        if (!e.active) return true;
        // The encoder rounds sizes to even numbers; allow a few pixels.
        return Math.abs(sent.frameHeight - CAPTURE.height / e.scaleResolutionDownBy) <= 4;
      });
    }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `the publisher to apply a plan with ${description}` }).catch((err) => {
      throw new Error(`${err.message}; plan ${planSummary(plan)}; outbound ${JSON.stringify(encodings)}`);
    });
    return { plan, encodings };
  }

  // Watches the publisher's encodings for PAUSE_WINDOW_MS: the paused ones
  // must not send a byte, the active ones must keep sending.
  async function expectPausedSendNothing(plan) {
    const first = encodingsByRid(await rtpStats(publisher.page));
    await measureFor(PAUSE_WINDOW_MS);
    const second = encodingsByRid(await rtpStats(publisher.page));
    for (const e of plan.encodings) {
      const grew = second[e.rid].bytesSent - first[e.rid].bytesSent;
      if (e.active) assert.ok(grew > 0, `active encoding ${e.rid} keeps sending (${grew} bytes)`);
      else assert.equal(grew, 0, `paused encoding ${e.rid} sends nothing (sent ${grew} bytes in ${PAUSE_WINDOW_MS} ms)`);
    }
  }

  describe(`simulcast tiers with ${codec.toUpperCase()}`, { timeout: 600000 }, () => {
    step(`the publisher sends its 1280x720 camera as three ${codec.toUpperCase()} encodings`, async () => {
      const page = await browser.newParticipantPage(
        `${server.url}/index.html?room=${room}&name=Pub&autojoin=1&publish=video&codec=${codec}`, `${codec}:Pub`);
      const joined = await pollUntil(() => page.evaluate(() => {
        const s = window.demoState;
        if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
        if (s.phase !== 'joined' || s.publications.length !== 1) return null;
        const publication = window.myriad.publications.get(s.publications[0].trackId);
        const parameters = publication.transceiver.sender.getParameters();
        return {
          participantId: s.participantId,
          levels: window.myriad.videoLevels,
          settings: publication.track.getSettings(),
          simulcast: publication.simulcast,
          rids: parameters.encodings.map((e) => e.rid),
          codec: parameters.codecs && parameters.codecs[0] ? parameters.codecs[0].mimeType : null,
          sdp: window.myriad.pc.localDescription.sdp,
        };
      }), { timeoutMs: JOIN_TIMEOUT_MS, description: 'the publisher to join and publish its camera' });
      publisher = { page, participantId: joined.participantId };
      levels = joined.levels;
      assert.ok(levels.length >= 2, `joined announces the video ladder (videoLevels ${JSON.stringify(levels)})`);
      for (const { wants } of SUBSCRIBERS) assert.ok(levels.includes(wants), `the ladder has ${wants}p`);
      assert.equal(joined.settings.width, CAPTURE.width);
      assert.equal(joined.settings.height, CAPTURE.height);
      assert.deepEqual(joined.simulcast, RIDS);
      assert.match(joined.sdp, /a=simulcast:send q;h;f/);
      // The answer kept all three encodings (a server that refused simulcast
      // would leave one) and chose the codec asked for.
      assert.deepEqual(joined.rids, RIDS);
      assert.equal(joined.codec, mimeType);
    });

    step('subscribers with 180, 360 and 720 pixel tiles ask for those levels', async () => {
      for (const { label, tileHeight, wants } of SUBSCRIBERS) {
        const page = await browser.newParticipantPage(
          `${server.url}/index.html?room=${room}&name=${label}&autojoin=1&publish=none&tileHeight=${tileHeight}`, `${codec}:${label}`);
        const state = await pollUntil(() => page.evaluate((pid) => {
          const s = window.demoState;
          if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
          const entry = Object.entries(s.remoteTracks).find(([, t]) => t.participantId === pid && t.kind === 'video' && t.subscribed);
          if (s.phase !== 'joined' || !entry) return null;
          return {
            participantId: s.participantId,
            level: window.myriad.videoLevel(entry[0]),
            devicePixelRatio: window.devicePixelRatio,
          };
        }, publisher.participantId), { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join and subscribe the camera` });
        assert.equal(state.devicePixelRatio, 1);
        assert.equal(levels[state.level], wants, `${label} asks for ${wants}p`);
        subscribers.set(label, { page, participantId: state.participantId });
      }
    });

    step('each subscriber receives its level', async (t) => {
      for (const { label, wants } of SUBSCRIBERS) {
        const got = await expectReceived(label, wants);
        assert.ok(withinOneStep(levels, got.frameHeight, wants), `${label} receives ${got.frameHeight} rows for ${wants}p`);
        t.diagnostic(`${label} (${wants}p) receives ${got.frameWidth}x${got.frameHeight}`);
      }
    });

    step('the publisher encodes the three planned tiers', async (t) => {
      const { plan } = await expectPlanApplied('three active tiers', (p) => p.encodings.filter((e) => e.active).length === 3);
      t.diagnostic(`plan ${planSummary(plan)}`);
      const heights = plan.encodings.map((e) => Math.round(CAPTURE.height / e.scaleResolutionDownBy));
      assert.deepEqual(heights, [180, 360, 720], `tiers in rid order q, h, f (${planSummary(plan)})`);
    });

    step('the 180 pixel tile grows to 720: the new level arrives within 2 s without a freeze', async (t) => {
      const { page } = subscribers.get(RESIZED.label);
      const before = await expectReceived(RESIZED.label, 180);
      // The resize first moves this subscriber to the 720p tier S720 already
      // gets, then (debounced) the server re-plans without a 180p tier. The
      // freeze check covers both; S720 is watched as a bystander.
      const bystander = subscribers.get('S720').page;
      const sampling = startSampling(page, publisher.participantId, RESIZED.tileHeight);
      const bystanderSampling = startSampling(bystander, publisher.participantId);
      let replanned = null;
      try {
        replanned = await expectPlanApplied('two active tiers after the resize', (p) => p.encodings.filter((e) => e.active).length === 2);
        await measureFor(AFTER_PLAN_WINDOW_MS);
      } finally {
        await Promise.all([stopSampling(page), stopSampling(bystander)]);
      }
      const samples = await sampling;
      const bystanderSamples = await bystanderSampling;
      const report = sampleReport(samples);

      const sentLevel = await page.evaluate(() => window.demoState.events.filter((e) => e.type === 'videoLevel').map((e) => e.height));
      assert.equal(sentLevel[sentLevel.length - 1], RESIZED.wants, `setVideoLevel for ${RESIZED.wants}p was sent (sent: ${sentLevel})`);

      const first = samples[0];
      const last = samples[samples.length - 1];
      const stall = longestStallMs(samples);
      const bystanderStall = longestStallMs(bystanderSamples);
      const switched = samples.find((s) => withinOneStep(levels, s.frameHeight, RESIZED.wants) && s.frameHeight > before.frameHeight);
      t.diagnostic(`re-plan ${planSummary(replanned.plan)}; ${RESIZED.label}: switched after ${switched ? switched.t : '-'} ms, `
        + `longest framesDecoded stall ${stall} ms, `
        + `Chromium freezes ${last.freezeCount - first.freezeCount} `
        + `(${Math.round((last.totalFreezesDuration - first.totalFreezesDuration) * 1000)} ms), `
        + `frames dropped ${last.framesDropped - first.framesDropped}; samples ${report}`);
      t.diagnostic(`bystander S720: longest framesDecoded stall ${bystanderStall} ms; samples ${sampleReport(bystanderSamples)}`);

      assert.ok(switched, `the received height reaches ${RESIZED.wants}p (samples: ${report})`);
      assert.ok(switched.t <= SWITCH_DEADLINE_MS, `switched after ${switched.t} ms, at most ${SWITCH_DEADLINE_MS} (samples: ${report})`);
      assert.ok(stall <= MAX_STALL_MS, `framesDecoded stalled for ${stall} ms, at most ${MAX_STALL_MS} (re-plan ${planSummary(replanned.plan)}; samples: ${report})`);
      assert.ok(last.keyFramesDecoded > first.keyFramesDecoded, 'the switch happened at a key frame');
      // A decoder that lost the picture (a broken reference, a discontinuity
      // the rewriting let through) asks for a key frame.
      assert.equal(last.pliCount - first.pliCount, 0, `the decoder asked for no key frame (PLI) across the switch (samples: ${report})`);
      assert.equal(last.firCount - first.firCount, 0, 'no FIR across the switch');
      // Chromium's own freeze counter (a frame shown max(3 x average, average
      // + 150 ms) after the previous one) is stricter than the issue's 500 ms:
      // reported above, not asserted.
      await expectReceived(RESIZED.label, RESIZED.wants);
    });

    step('the new plan pauses the tier nobody wants, and the paused encoding sends nothing', async (t) => {
      // Now 360p and 720p (twice) are wanted: two tiers, the third rid paused.
      const { plan } = await expectPlanApplied('exactly two active tiers', (p) => p.encodings.filter((e) => e.active).length === 2);
      t.diagnostic(`plan ${planSummary(plan)}`);
      const heights = plan.encodings.filter((e) => e.active).map((e) => Math.round(CAPTURE.height / e.scaleResolutionDownBy));
      assert.deepEqual(heights, [360, 720], `the active tiers are 360p and 720p (${planSummary(plan)})`);
      await expectPausedSendNothing(plan);
      // Everyone still receives what it asked for.
      await expectReceived('S360', 360);
      await expectReceived('S720', 720);
      await expectReceived(RESIZED.label, RESIZED.wants);
    });

    step('with no subscriber left every encoding is paused', async () => {
      for (const [label, { page }] of subscribers) {
        // No `error` from the server on the way (e.g. for a setVideoLevel).
        assert.deepEqual(await page.evaluate(() => window.demoState.errors), [], `${label} saw no errors`);
        await page.evaluate(() => window.myriad.leave());
        await page.close();
      }
      subscribers.clear();
      const { plan } = await expectPlanApplied('every tier paused', (p) => p.encodings.every((e) => !e.active));
      await expectPausedSendNothing(plan);
      const errors = await publisher.page.evaluate(() => window.demoState.errors);
      assert.deepEqual(errors, []);
      await publisher.page.evaluate(() => window.myriad.leave());
      await publisher.page.close();
    });
  });
}

scenario('vp8');
scenario('h264');
