// The feedback a browser needs from the SFU to behave: transport-wide-cc
// feedback that lets the publisher's bandwidth estimate ramp up, receiver
// reports that give it a round-trip time, and sender reports that give the
// subscriber a remote clock. Every wait polls with a deadline.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { closeAndReport, launchBrowser, pollUntil } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const room = `fb-${process.pid}-${Date.now().toString(36)}`;

/** Feedback-related stats of the page's peer connection. */
async function feedbackStats(page) {
  return page.evaluate(async () => {
    const report = await window.myriad.pc.getStats();
    const out = { availableOutgoingBitrate: 0, videoBytesSent: 0, videoTargetBitrate: 0, remoteInbound: [], remoteOutbound: [] };
    // The estimate lives on the transport's selected candidate pair.
    const selected = new Set();
    report.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) selected.add(s.selectedCandidatePairId); });
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && selected.has(s.id) && s.availableOutgoingBitrate) {
        out.availableOutgoingBitrate = Math.max(out.availableOutgoingBitrate, s.availableOutgoingBitrate);
      } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.videoBytesSent += s.bytesSent || 0;
        out.videoTargetBitrate += s.targetBitrate || 0;
      } else if (s.type === 'remote-inbound-rtp') {
        out.remoteInbound.push({ kind: s.kind, roundTripTime: s.roundTripTime, packetsLost: s.packetsLost });
      } else if (s.type === 'remote-outbound-rtp') {
        out.remoteOutbound.push({ kind: s.kind, remoteTimestamp: s.remoteTimestamp, packetsSent: s.packetsSent });
      }
    });
    return out;
  });
}

describe('browser feedback through Myriad', () => {
  let server;
  let browser;
  let publisher;
  let subscriber;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser({ microphone: 'tone' });
  });

  // A failure prints the server's log and the pages' console (closeAndReport).
  let failed = false;
  after(async () => {
    await closeAndReport({ browser, server, failed, lines: 120 });
  });
  // Every test body runs through this, so a failure is remembered for the report.
  const reported = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  };

  it('a 720p publisher\'s bandwidth estimate reaches 1 Mbps within 10 s of its first video packet, its camera encoder target within 15 s', { timeout: 60000 }, reported(async () => {
    publisher = await browser.newParticipantPage(`${server.url}/index.html?room=${room}&name=Pub&autojoin=1`, 'Pub');
    // A 720-pixel tile: the subscriber asks for 720p, so the plan lets the
    // publisher's top encoding use a 720p bitrate (a small tile would cap it).
    subscriber = await browser.newParticipantPage(`${server.url}/index.html?room=${room}&name=Sub&autojoin=1&tileHeight=720`, 'Sub');
    await pollUntil(async () => (await feedbackStats(publisher)).videoBytesSent > 0,
      { timeoutMs: 20000, description: 'the publisher to send video' });
    const start = Date.now();
    const estimate = await pollUntil(async () => {
      const s = await feedbackStats(publisher);
      return s.availableOutgoingBitrate >= 1_000_000 ? s.availableOutgoingBitrate : null;
    }, { timeoutMs: 10000, intervalMs: 200, description: 'availableOutgoingBitrate >= 1 Mbps' });
    assert.ok(estimate >= 1_000_000);
    // And the encoder is allowed to use it: the camera's target bitrate,
    // which Chrome sets from the estimate less its protection overhead
    // (about 0.88 of it), so the target passes 1 Mbps once the estimate
    // passes about 1.14 Mbps. (The bytes actually sent stay near 0.7 Mbps:
    // libvpx undershoots on the fake camera's synthetic picture, so they
    // cannot show the ramp.) The server's part, feedback that lets the
    // estimate ramp, is the 10 s above; this is Chrome's, which on a slow
    // 2-core machine once had its estimate at 1.10 Mbps and its target at
    // 0.97 Mbps after 10 s (a CI run, 2026-12-02): 5 s more for it.
    let last = null;
    const target = await pollUntil(async () => {
      const s = await feedbackStats(publisher);
      last = { target: s.videoTargetBitrate, estimate: s.availableOutgoingBitrate, ms: Date.now() - start };
      return s.videoTargetBitrate >= 1_000_000 ? s.videoTargetBitrate : null;
    }, { timeoutMs: Math.max(1000, 15000 - (Date.now() - start)), intervalMs: 200, description: 'the camera encoder target >= 1 Mbps' })
      .catch((err) => { throw new Error(`${err.message}; last sample ${JSON.stringify(last)}`); });
    assert.ok(target >= 1_000_000);
    assert.ok(Date.now() - start <= 15500, `ramp took ${Date.now() - start} ms`);
  }));

  it('receiver reports give the publisher a round-trip time, sender reports give the subscriber a remote clock', { timeout: 30000 }, reported(async () => {
    const pub = await pollUntil(async () => {
      const s = await feedbackStats(publisher);
      const withRtt = s.remoteInbound.filter((r) => typeof r.roundTripTime === 'number');
      return withRtt.length >= 2 ? withRtt : null;  // audio and video
    }, { timeoutMs: 15000, description: 'remote-inbound-rtp with roundTripTime for audio and video' });
    for (const r of pub) {
      // Loopback: a sane RTT is well under a second, and never negative.
      assert.ok(r.roundTripTime >= 0 && r.roundTripTime < 1, `${r.kind} RTT ${r.roundTripTime}`);
    }
    const sub = await pollUntil(async () => {
      const s = await feedbackStats(subscriber);
      const kinds = new Set(s.remoteOutbound.filter((r) => r.remoteTimestamp > 0 && r.packetsSent > 0).map((r) => r.kind));
      return kinds.has('audio') && kinds.has('video') ? s.remoteOutbound : null;
    }, { timeoutMs: 15000, description: 'remote-outbound-rtp (our sender reports) for audio and video' });
    for (const r of sub) {
      // Our SR clock is wall-clock NTP: within a minute of the test's clock.
      assert.ok(Math.abs(r.remoteTimestamp - Date.now()) < 60000, `${r.kind} remoteTimestamp ${r.remoteTimestamp}`);
    }
    const participantId = await publisher.evaluate(() => window.demoState.participantId);
    assert.match(participantId, /\S/);
  }));
});
