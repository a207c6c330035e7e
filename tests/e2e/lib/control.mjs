// Helpers of the conference control browser tests (control.test.mjs,
// control-channel.test.mjs): tokens, metrics, and sampling a page's audio
// packet counts around a host's mute.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { pollUntil } from './browser.mjs';

// Steps of one `describe` run in order; after a failure the rest are
// skipped (they build on each other). Returns the step function and whether
// one failed (for closeAndReport).
export function stepSequence(it) {
  const state = { failed: false };
  const step = (name, fn, timeout = 60000) => {
    it(name, { timeout }, async (t) => {
      if (state.failed) {
        t.skip('an earlier step failed');
        return;
      }
      try {
        await fn(t);
      } catch (err) {
        state.failed = true;
        throw err;
      }
    });
  };
  return { step, state };
}

// An access token for `room` minted by the server binary (`myriad token`)
// with the running server's configuration (its development key).
export async function mintToken(myriadBin, server, room, identity, name, grants) {
  const { stdout } = await promisify(execFile)(myriadBin, [
    'token', '--config', path.join(server.tempDir, 'myriad.json'),
    '--room', room, '--identity', identity, '--name', name, '--grants', grants,
  ]);
  return stdout.trim();
}

// One sample of the server's /metrics: the value of `name` with `labels`.
export async function metric(server, name, labels) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

// A's page: the SDK's replaceTrack(null) (how it stops a muted sender) does
// nothing, so A keeps sending; counted in window.__senderStops.
export function ignoreSenderStops() {
  window.__senderStops = 0;
  const replaceTrack = RTCRtpSender.prototype.replaceTrack;
  RTCRtpSender.prototype.replaceTrack = function replaceTrackUnlessNull(track) {
    if (track === null) {
      window.__senderStops += 1;
      return Promise.resolve();
    }
    return replaceTrack.call(this, track);
  };
}

// How `page` receives the audio of participant `pid` (track `trackId`): its
// own subscription (audio=tracks) or the audio slot `speakers` names for it;
// with the inbound-rtp packetsReceived now. null while there is none.
export async function inboundAudio(page, pid, trackId) {
  return page.evaluate(async ({ pid, trackId }) => {
    const client = window.myriad;
    const sub = window.demoState.remoteTracks[trackId];
    let track = null;
    let via = null;
    if (sub && sub.subscribed && sub.track.readyState === 'live') {
      track = sub.track;
      via = 'track';
    } else {
      const slot = client.slots.find((s) => s.participantId === pid && s.track && s.track.readyState === 'live');
      if (slot) {
        track = slot.track;
        via = `slot ${slot.slot}`;
      }
    }
    if (!track) return null;
    let packets = null;
    (await client.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.trackIdentifier === track.id) packets = s.packetsReceived || 0;
    });
    return packets === null ? null : { receiverTrackId: track.id, via, packets };
  }, { pid, trackId });
}

// Waits until `observerPage` receives the audio of `speaker`
// ({participantId, micTrackId}) and its packet count grows; returns the first
// inboundAudio() seen. `what` names the pair in a timeout's message.
export async function assertHears(observerPage, speaker, what, timeoutMs = 20000) {
  const first = await pollUntil(async () => {
    const got = await inboundAudio(observerPage, speaker.participantId, speaker.micTrackId);
    return got && got.packets > 0 ? got : null;
  }, { timeoutMs, intervalMs: 100, description: `${what}: audio arriving (slot or subscription)` });
  await pollUntil(async () => {
    const got = await inboundAudio(observerPage, speaker.participantId, speaker.micTrackId);
    return got && got.receiverTrackId === first.receiverTrackId && got.packets > first.packets;
  }, { timeoutMs, intervalMs: 100, description: `${what}: packetsReceived growing` });
  return first;
}

// Audio packets the page's peer connection has sent, all microphones together.
export async function outboundAudioPackets(page) {
  return page.evaluate(async () => {
    let packets = 0;
    (await window.myriad.pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'audio') packets += s.packetsSent || 0;
    });
    return packets;
  });
}

// Starts sampling, in the page, the packet count of one inbound stream
// (`receiverTrackId`) or of the outbound audio: {t: when getStats() was
// called, packets} about every 20 ms, into window.__samples.
export async function startSampler(page, receiverTrackId) {
  await page.evaluate((trackId) => {
    const sampler = { samples: [], stop: false };
    window.__samples = sampler;
    (async () => {
      while (!sampler.stop && sampler.samples.length < 1000) {
        const t = Date.now();
        let packets = trackId ? null : 0;
        // eslint-disable-next-line no-await-in-loop
        (await window.myriad.pc.getStats()).forEach((s) => {
          if (trackId && s.type === 'inbound-rtp' && s.trackIdentifier === trackId) packets = s.packetsReceived || 0;
          if (!trackId && s.type === 'outbound-rtp' && s.kind === 'audio') packets += s.packetsSent || 0;
        });
        // Who the slot carrying this track (if it is a slot) carries now.
        const slot = trackId ? window.myriad.slots.find((s) => s.track && s.track.id === trackId) : null;
        sampler.samples.push({ t, packets, holder: slot ? slot.participantId : undefined });
        // The sampling period, not a synchronisation.
        // eslint-disable-next-line no-await-in-loop
        await new Promise((resolve) => { setTimeout(resolve, 20); });
      }
    })();
  }, receiverTrackId);
}

export async function samplesOf(page) {
  return page.evaluate(() => window.__samples.samples);
}

export async function stopSampler(page) {
  return page.evaluate(() => {
    window.__samples.stop = true;
    return window.__samples.samples;
  });
}

// The count at the first sample taken `fromMs` or more after `ack`, at the
// last sample, and when the count last changed (the first sample showing
// the final count, ms after the ack).
export function afterAck(samples, ack, fromMs) {
  const cutoff = samples.find((s) => s.t >= ack + fromMs);
  const last = samples.at(-1);
  const firstFinal = samples.find((s) => s.packets === last.packets);
  const beforeAck = samples.filter((s) => s.t < ack);
  return {
    holders: [...new Set(samples.filter((s) => s.t >= ack + fromMs).map((s) => s.holder))],
    atCutoff: cutoff ? cutoff.packets : null,
    cutoffAfterMs: cutoff ? cutoff.t - ack : null,
    atEnd: last.packets,
    endAfterMs: last.t - ack,
    finalFromMs: firstFinal.t - ack,
    grewBeforeAck: beforeAck.length >= 2 && beforeAck.at(-1).packets > beforeAck[0].packets,
  };
}
