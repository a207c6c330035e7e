// rooms.max_publishers = 1: the second participant's camera and microphone
// are refused in the answer (`warnings`: publisher_limit). The SDK reports it,
// stops the refused m-lines and the participant stays in the room as a
// listener that still sees and hears the publisher. Every wait polls with a
// deadline.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { inboundFrom, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const room = `limit-${process.pid}-${Date.now().toString(36)}`;

describe('publisher limit: a refused publication leaves a working listener', { timeout: 120000 }, () => {
  let server;
  let browser;
  let publisher;
  let listener;
  let failed = false;

  before(async () => {
    server = await startServer({ extraEnv: { MYRIAD_ROOMS_MAX_PUBLISHERS: '1' } });
    browser = await launchBrowser({ microphone: 'tone' });
  });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    if (server) {
      await server.stop();
      if (failed) {
        console.error(`\nmyriad log: ${server.logPath}\n${await server.logTail(40)}`);
        if (browser) console.error(`\nbrowser console:\n${browser.consoleLog.slice(-40).join('\n')}`);
      } else {
        await server.cleanup();
      }
    }
  });

  it('the second publisher gets publisher_limit and stays a listener that receives the first', { timeout: 90000 }, async () => {
    try {
      publisher = await browser.newParticipantPage(`${server.url}/index.html?room=${room}&name=Host&autojoin=1`, 'Host');
      const hostId = await pollUntil(() => publisher.evaluate(() => {
        const s = window.demoState;
        return s.phase === 'joined' && s.publications.length === 2 ? s.participantId : null;
      }), { timeoutMs: 20000, description: 'Host to publish camera and microphone' });

      listener = await browser.newParticipantPage(`${server.url}/index.html?room=${room}&name=Guest&autojoin=1`, 'Guest');
      const refused = await pollUntil(() => listener.evaluate(() => {
        const s = window.demoState;
        return s.phase === 'joined' && s.listenOnly
          ? { errors: s.errors, publications: s.publications.length, status: document.getElementById('status').textContent }
          : null;
      }), { timeoutMs: 20000, description: 'Guest to be refused and stay as a listener' });
      assert.equal(refused.publications, 0);
      assert.ok(refused.errors.length >= 1 && refused.errors.every((e) => e.code === 'publisher_limit'),
        `errors: ${JSON.stringify(refused.errors)}`);
      assert.match(refused.status, /listening only/);

      // Its refused m-lines are stopped; the connection is up and receives.
      await pollUntil(() => listener.evaluate(() => {
        const pc = window.myriad.pc;
        const sending = pc.getTransceivers().filter((t) => t.sender.track && t.currentDirection !== 'stopped');
        return pc.connectionState === 'connected' && sending.length === 0;
      }), { timeoutMs: 20000, description: 'Guest connected with no live sending transceiver' });
      await pollUntil(async () => {
        const stats = await rtpStats(listener);
        const video = inboundFrom(stats, hostId, 'video');
        const audio = inboundFrom(stats, hostId, 'audio');
        return video && audio && video.framesDecoded > 0 && audio.packetsReceived > 0;
      }, { timeoutMs: 30000, description: 'Guest to decode Host\'s camera and hear Host on a slot' });

      // The host sees the guest in the roster, without tracks.
      const guestOnHost = await pollUntil(() => publisher.evaluate(() => {
        const guest = [...window.myriad.participants.values()].find((p) => p.name === 'Guest');
        return guest ? { tracks: guest.tracks.size } : null;
      }), { timeoutMs: 10000, description: 'Host to list Guest' });
      assert.equal(guestOnHost.tracks, 0);
      assert.deepEqual(await publisher.evaluate(() => window.demoState.errors), []);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
});
