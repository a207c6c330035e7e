// Video by viewport: an observer with one tile per page (pageSize=1) receives
// the visible participant's camera and prefetches the next page's; paging
// moves both in one renegotiation, stops what left the viewport and keeps the
// prefetched track (it becomes visible without a new subscription). Every
// wait polls with a deadline.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const room = `vp-${process.pid}-${Date.now().toString(36)}`;
const PUBLISHERS = ['A', 'B', 'C'];

let server;
let browser;
let failed = false;
let observer;
/** label -> participantId */
const publisherIds = new Map();

function step(name, fn, timeout = 60000) {
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

// Counts the offers a page makes (setLocalDescription calls), to show that a
// page flip is one renegotiation.
function countOffers() {
  window.__offers = 0;
  const setLocalDescription = RTCPeerConnection.prototype.setLocalDescription;
  RTCPeerConnection.prototype.setLocalDescription = function countedSetLocalDescription(...args) {
    if (!args[0] || args[0].type !== 'rollback') window.__offers += 1;
    return setLocalDescription.apply(this, args);
  };
}

/** What the observer page shows and receives now. */
function observe(page) {
  return page.evaluate(() => {
    const s = window.demoState;
    const videoOf = (participantId) => {
      const p = window.myriad.participants.get(participantId);
      return p ? [...p.tracks.values()].find((t) => t.kind === 'video')?.trackId : undefined;
    };
    const subscribed = Object.entries(s.remoteTracks)
      .filter(([, t]) => t.kind === 'video' && t.subscribed && t.track.readyState === 'live')
      .map(([trackId, t]) => ({ trackId, participantId: t.participantId, receiverTrack: t.track.id }));
    return {
      page: s.page,
      pageCount: s.pageCount,
      label: document.getElementById('page-label').textContent,
      order: [...window.myriad.participants.keys()],
      tiles: [...document.querySelectorAll('.tile')].map((e) => ({ id: e.dataset.participantId, video: e.classList.contains('has-video') })),
      viewport: window.myriad.viewport,
      videoOf: Object.fromEntries([...window.myriad.participants.keys()].map((id) => [id, videoOf(id)])),
      subscribed,
      offers: window.__offers,
      errors: s.errors,
    };
  });
}

// Waits until the observer is on `pageIndex`, showing participant order[pageIndex] with
// decoded video, and receives exactly that camera plus the next page's.
async function expectPage(pageIndex) {
  let last = null;
  const state = await pollUntil(async () => {
    last = await observe(observer);
    if (last.errors.length) throw new Error(`page errors: ${JSON.stringify(last.errors)}`);
    const visibleId = last.order[pageIndex];
    const nextId = last.order[pageIndex + 1];
    const expected = [visibleId, nextId].filter(Boolean).map((id) => last.videoOf[id]).sort();
    const got = last.subscribed.map((t) => t.trackId).sort();
    const ok = last.page === pageIndex && last.label === `Page ${pageIndex + 1} / ${PUBLISHERS.length}`
      && last.tiles.length === 1 && last.tiles[0].id === visibleId && last.tiles[0].video
      && JSON.stringify(got) === JSON.stringify(expected)
      && JSON.stringify(last.viewport.visible) === JSON.stringify([last.videoOf[visibleId]]);
    return ok ? last : null;
  }, { timeoutMs: 20000, description: `the observer on page ${pageIndex + 1}: its tile with video, visible + prefetched cameras received` })
    .catch((err) => {
      throw new Error(`${err.message}; last ${JSON.stringify(last)}`);
    });
  // The visible camera is decoded.
  const visibleId = state.order[pageIndex];
  await pollUntil(async () => {
    const stats = await rtpStats(observer);
    return stats.inbound.some((s) => s.kind === 'video' && s.participantId === visibleId && s.framesDecoded > 0);
  }, { timeoutMs: 20000, description: `decoded frames of the camera on page ${pageIndex + 1}` });
  return state;
}

async function flip(button, pageIndex) {
  const before = await observe(observer);
  await observer.click(button);
  const after = await expectPage(pageIndex);
  // Let the flip's negotiation settle before counting offers.
  const settled = await pollUntil(async () => {
    const a = await observe(observer);
    const b = await observe(observer);
    return a.offers === b.offers ? b : null;
  }, { timeoutMs: 10000, description: 'the negotiation to settle' });
  return { before, after: { ...after, offers: settled.offers } };
}

describe('video viewport: pages, prefetch and one renegotiation per flip', { timeout: 240000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await browser.context.addInitScript(countOffers);
  });

  after(async () => {
    await closeAndReport({ browser, server, failed, lines: 60 });
  });

  step('three publishers join with their cameras', async () => {
    for (const label of PUBLISHERS) {
      const page = await browser.newParticipantPage(
        `${server.url}/index.html?room=${room}&name=${label}&autojoin=1&publish=video`, label);
      const id = await pollUntil(() => page.evaluate(() => {
        const s = window.demoState;
        return s.phase === 'joined' && s.publications.length === 1 ? s.participantId : null;
      }), { timeoutMs: 20000, description: `${label} to publish its camera` });
      publisherIds.set(label, id);
    }
  });

  step('an observer with one tile per page receives page 1 and prefetches page 2', async () => {
    observer = await browser.newParticipantPage(
      `${server.url}/index.html?room=${room}&name=Observer&autojoin=1&publish=none&pageSize=1`, 'Observer');
    const state = await expectPage(0);
    assert.deepEqual([...state.order].sort(), [...publisherIds.values()].sort());
    assert.equal(state.subscribed.length, 2);
  });

  step('next page: page 2 visible, page 3 prefetched, page 1 stopped, in one offer', async () => {
    const { before, after } = await flip('#page-next', 1);
    assert.equal(after.offers - before.offers, 1, 'one renegotiation');
    // The prefetched camera became visible without a new subscription.
    const page2 = before.order[1];
    const receiverBefore = before.subscribed.find((t) => t.participantId === page2)?.receiverTrack;
    const receiverAfter = after.subscribed.find((t) => t.participantId === page2)?.receiverTrack;
    assert.ok(receiverBefore && receiverBefore === receiverAfter, 'the prefetched track is kept');
    // Page 1's camera is no longer received: its track ended.
    const page1Video = before.videoOf[before.order[0]];
    const ended = await observer.evaluate((trackId) => {
      const t = window.demoState.remoteTracks[trackId];
      return t && !t.subscribed && t.track.readyState === 'ended';
    }, page1Video);
    assert.ok(ended, 'page 1 camera unsubscribed and ended');
  });

  step('next page again: the last page has nothing to prefetch', async () => {
    const { after } = await flip('#page-next', 2);
    assert.equal(after.subscribed.length, 1);
    assert.deepEqual(after.viewport.prefetch, []);
    assert.equal(await observer.evaluate(() => document.getElementById('page-next').disabled), true);
  });

  step('back to page 1: its camera is received again', async () => {
    await flip('#page-prev', 1);
    const { after } = await flip('#page-prev', 0);
    assert.equal(after.subscribed.length, 2);
    assert.deepEqual(await observer.evaluate(() => window.demoState.errors), []);
  });
});
