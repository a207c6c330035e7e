// A subscriber that is already in the room when a simulcast publisher joins.
// The publisher's first tier plan then names only what that subscriber wants
// (one 720p tier) and has no earlier rid assignment to keep: the server must
// place the tier on the encoding the browser already sends at that size (rid
// f), not reconfigure the quarter-size encoding q to full size while pausing
// the others (Chromium then sent no video at all). Then a 180p subscriber
// joins: the plan grows to two tiers without moving the 720p one.
// Every wait polls with a deadline; nothing sleeps to synchronise.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, inboundFrom, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const room = `late-${process.pid}-${Date.now().toString(36)}`;
const CAPTURE_HEIGHT = 720;
const JOIN_TIMEOUT_MS = 20000;
// Bandwidth estimation starts low and ramps up; 720p needs a few seconds.
const MEDIA_TIMEOUT_MS = 45000;

/** The page's newest applied tier plan, as its SDK handled it. */
function newestPlan(page) {
  return page.evaluate(() => {
    const plans = window.demoState.tierPlans;
    return plans.length ? plans[plans.length - 1] : null;
  });
}

/** rid -> height for the plan's active encodings. */
function activeHeights(plan) {
  return Object.fromEntries(plan.encodings.filter((e) => e.active)
    .map((e) => [e.rid, Math.round(CAPTURE_HEIGHT / e.scaleResolutionDownBy)]));
}

async function joinedWithVideoFrom(page, publisherId, label) {
  return pollUntil(() => page.evaluate((pid) => {
    const s = window.demoState;
    if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
    if (s.phase !== 'joined') return null;
    if (!pid) return { participantId: s.participantId };
    const entry = Object.values(s.remoteTracks).find((t) => t.participantId === pid && t.kind === 'video' && t.subscribed);
    return entry ? { participantId: s.participantId } : null;
  }, publisherId), { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join${publisherId ? ' and subscribe the camera' : ''}` });
}

/** Waits until `page` decodes video of `publisherId` between `minHeight` and `maxHeight` rows. */
async function expectReceived(page, publisherId, minHeight, label, maxHeight = Infinity) {
  return pollUntil(async () => {
    const video = inboundFrom(await rtpStats(page), publisherId, 'video');
    return video && video.framesDecoded > 0 && video.frameHeight >= minHeight && video.frameHeight <= maxHeight ? video : null;
  }, { timeoutMs: MEDIA_TIMEOUT_MS, intervalMs: 250, description: `${label} to decode ${minHeight}..${maxHeight} rows` });
}

/** What the publisher's encoder does, per rid (for a failure's diagnosis). */
function outboundVideo(page) {
  return page.evaluate(async () => {
    const report = await window.myriad.pc.getStats();
    const out = [];
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
      out.push({
        rid: s.rid, active: s.active, bytesSent: s.bytesSent, framesEncoded: s.framesEncoded,
        frameHeight: s.frameHeight, targetBitrate: s.targetBitrate, qualityLimitationReason: s.qualityLimitationReason,
        encoderImplementation: s.encoderImplementation, keyFramesEncoded: s.keyFramesEncoded, pliCount: s.pliCount,
      });
    });
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated) out.push({ availableOutgoingBitrate: s.availableOutgoingBitrate });
    });
    const parameters = [...window.myriad.publications.values()].filter((p) => p.kind === 'video')
      .map((p) => p.transceiver.sender.getParameters().encodings);
    return { out, parameters };
  });
}

describe('a simulcast publisher that joins after its subscriber', () => {
  let server;
  let browser;
  let failed = false;
  let subscriber;
  let publisher;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await closeAndReport({ browser, server, failed, lines: 120 });
  });
  const reported = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  };

  it('the first plan keeps 720p on rid f and the subscriber receives 720p', { timeout: 90000 }, reported(async (t) => {
    const subPage = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Sub720&autojoin=1&publish=none&tileHeight=720`, 'Sub720');
    await joinedWithVideoFrom(subPage, null, 'Sub720');
    const pubPage = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Pub&autojoin=1&publish=video`, 'Pub');
    publisher = { page: pubPage, ...(await joinedWithVideoFrom(pubPage, null, 'Pub')) };
    await joinedWithVideoFrom(subPage, publisher.participantId, 'Sub720');
    subscriber = subPage;

    const plan = await pollUntil(async () => {
      const p = await newestPlan(pubPage);
      return p && p.applied ? p : null;
    }, { timeoutMs: JOIN_TIMEOUT_MS, description: 'the publisher to apply a tier plan' });
    t.diagnostic(`first applied plan v${plan.version}: ${JSON.stringify(activeHeights(plan))}`);
    assert.deepEqual(activeHeights(plan), { f: 720 }, 'the only tier, 720p, stays on rid f');

    let got;
    try {
      got = await expectReceived(subPage, publisher.participantId, 720, 'Sub720');
    } finally {
      t.diagnostic(`publisher outbound video: ${JSON.stringify(await outboundVideo(pubPage))}`);
    }
    t.diagnostic(`Sub720 receives ${got.frameWidth}x${got.frameHeight}`);
  }));

  it('a 180p subscriber joining later adds rid q and leaves 720p on f', { timeout: 90000 }, reported(async (t) => {
    assert.ok(publisher && subscriber, 'the first test set up the room');
    const smallPage = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Sub180&autojoin=1&publish=none&tileHeight=180`, 'Sub180');
    await joinedWithVideoFrom(smallPage, publisher.participantId, 'Sub180');
    const plan = await pollUntil(async () => {
      const p = await newestPlan(publisher.page);
      return p && p.applied && p.encodings.filter((e) => e.active).length === 2 ? p : null;
    }, { timeoutMs: MEDIA_TIMEOUT_MS, description: 'a two-tier plan applied' });
    t.diagnostic(`plan v${plan.version}: ${JSON.stringify(activeHeights(plan))}`);
    assert.deepEqual(activeHeights(plan), { q: 180, f: 720 });
    // Until the re-plan it may get the 720p tier; then the 180p one (within a ladder step).
    const got = await expectReceived(smallPage, publisher.participantId, 180, 'Sub180', 270);
    t.diagnostic(`Sub180 receives ${got.frameWidth}x${got.frameHeight}`);
    await expectReceived(subscriber, publisher.participantId, 720, 'Sub720');
  }));
});
