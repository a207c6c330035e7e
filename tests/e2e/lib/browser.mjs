// Headless Chromium for the end-to-end tests, driven through playwright-core.
//
// One browser process, one persistent context, one page (tab) per
// participant. Why not one browser per participant: on the 2-core CI machine
// every extra browser adds its own browser, GPU-less compositor, network and
// audio service processes, taking memory and CPU the participants' video
// encoders need; with pages in one browser every participant still has its own
// renderer process and its own RTCPeerConnection, and Chromium's fake capture
// device serves any number of concurrent getUserMedia() consumers. The
// background-throttling flags below make every tab behave like a foreground
// client: without them Chromium slows the timers and rendering of tabs it
// considers hidden, which delays SDK event handling and the tests' polling.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MYRIAD_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  // Every participant tab must run as if it were in the foreground.
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  // Remote <audio> elements start without a user gesture.
  '--autoplay-policy=no-user-gesture-required',
];

// Replaces the microphone of every page with a steady 440 Hz tone from Web
// Audio. Chromium's fake capture device only beeps for 20 ms every 500 ms,
// which the server's speaker selection (smoothed RFC 6464 levels, docs/
// protocol.md "Audio slots") rightly treats as silence, so a fake-device
// participant never gets an audio slot. Video still comes from the fake camera.
function installToneMicrophone() {
  const mediaDevices = navigator.mediaDevices;
  if (!mediaDevices || !mediaDevices.getUserMedia) return;
  const original = mediaDevices.getUserMedia.bind(mediaDevices);
  mediaDevices.getUserMedia = async (constraints = {}) => {
    if (!constraints.audio) return original(constraints);
    const camera = constraints.video ? await original({ video: constraints.video }) : null;
    const context = new AudioContext({ sampleRate: 48000 });
    const oscillator = context.createOscillator();
    oscillator.frequency.value = 440;
    const gain = context.createGain();
    gain.gain.value = 0.3; // about -13 dBov RMS: clearly a speaker
    const destination = context.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    await context.resume();
    window.__myriadToneContext = context; // keeps the graph alive
    return new MediaStream([...destination.stream.getAudioTracks(), ...(camera ? camera.getVideoTracks() : [])]);
  };
}

/**
 * Launches Chromium with a fresh temporary profile.
 * `microphone`: 'fake' (Chromium's fake device: a 20 ms beep every 500 ms,
 * too quiet on average to ever be a speaker) or 'tone' (a steady tone, see
 * installToneMicrophone).
 * @returns {Promise<{context: import('playwright-core').BrowserContext, userDataDir: string,
 *   newParticipantPage: (url: string, label: string) => Promise<import('playwright-core').Page>,
 *   consoleLog: string[], close: () => Promise<void>}>}
 */
export async function launchBrowser({ microphone = 'fake' } = {}) {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'myriad-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    permissions: ['camera', 'microphone'],
  });
  if (microphone === 'tone') await context.addInitScript(installToneMicrophone);
  // Page console output and errors, prefixed with the participant's label;
  // printed by the tests when something fails.
  const consoleLog = [];

  // `beforeLoad(page)` runs before the page loads (init scripts, exposed
  // functions).
  async function newParticipantPage(url, label, { beforeLoad = null } = {}) {
    const page = await context.newPage();
    if (beforeLoad) await beforeLoad(page);
    page.on('console', (msg) => consoleLog.push(`[${label}] console.${msg.type()}: ${msg.text()}`));
    page.on('pageerror', (err) => consoleLog.push(`[${label}] pageerror: ${err.message}`));
    page.on('requestfailed', (req) => consoleLog.push(`[${label}] requestfailed: ${req.url()} ${req.failure()?.errorText}`));
    await page.goto(url);
    return page;
  }

  async function close() {
    try {
      await context.close();
    } finally {
      await rm(userDataDir, { recursive: true, force: true });
    }
  }

  return { context, userDataDir, newParticipantPage, consoleLog, close };
}

/**
 * Polls `probe` until it returns a truthy value and returns that value, or
 * throws after `timeoutMs` with `description` and the last probe result.
 */
// Closes the browser and stops the server; after a failure prints the tail
// of the server's log and of the browser console (kept for a post-mortem),
// otherwise removes the server's temporary files.
export async function closeAndReport({ browser, server, failed, lines = 80 }) {
  if (browser) await browser.close().catch(() => {});
  if (!server) return;
  const exit = await server.stop();
  if (failed) {
    console.error(`\nmyriad log: ${server.logPath} (exit ${JSON.stringify(exit)})`);
    console.error(await server.logTail(lines));
    if (browser) console.error(`\nbrowser console:\n${browser.consoleLog.slice(-lines).join('\n')}`);
  } else if (process.env.MYRIAD_E2E_KEEP_LOGS) {
    console.error(`\nmyriad log (kept): ${server.logPath}`);
  } else {
    await server.cleanup();
  }
}

export async function pollUntil(probe, { timeoutMs = 30000, intervalMs = 250, description = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description} (${why})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * RTP stats of the page's MyriadClient peer connection (window.myriad.pc).
 * inbound: one entry per inbound-rtp stream, with the remote participant and
 * Myriad trackId it belongs to: for a video (or per-track audio)
 * subscription through window.demoState.remoteTracks by the receiver track's
 * id; for an audio slot, `slot` and the participant the slot carries now
 * (window.myriad.speakers). outbound: one per outbound-rtp stream.
 */
export async function rtpStats(page) {
  return page.evaluate(async () => {
    const client = window.myriad;
    if (!client || !client.pc) return { inbound: [], outbound: [] };
    const byTrackId = new Map();
    for (const [trackId, entry] of Object.entries(window.demoState.remoteTracks)) {
      if (entry.track) byTrackId.set(entry.track.id, { trackId, participantId: entry.participantId });
    }
    for (const receiver of client.slots) {
      if (!receiver.track) continue;
      const speaker = client.speakers[receiver.slot] || {};
      byTrackId.set(receiver.track.id, {
        slot: receiver.slot, trackId: speaker.trackId || undefined, participantId: speaker.participantId || undefined,
      });
    }
    const report = await client.pc.getStats();
    const inbound = [];
    const outbound = [];
    const mimeType = (s) => (s.codecId && report.get(s.codecId) ? report.get(s.codecId).mimeType : undefined);
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') {
        const owner = byTrackId.get(s.trackIdentifier) || {};
        inbound.push({
          kind: s.kind,
          mid: s.mid,
          ssrc: s.ssrc,
          trackIdentifier: s.trackIdentifier,
          slot: owner.slot,
          trackId: owner.trackId,
          participantId: owner.participantId,
          packetsReceived: s.packetsReceived || 0,
          bytesReceived: s.bytesReceived || 0,
          framesDecoded: s.framesDecoded || 0,
          frameWidth: s.frameWidth || 0,
          frameHeight: s.frameHeight || 0,
          audioLevel: s.audioLevel || 0,
          totalAudioEnergy: s.totalAudioEnergy || 0,
          mimeType: mimeType(s),
          keyFramesDecoded: s.keyFramesDecoded || 0,
          framesDropped: s.framesDropped || 0,
          freezeCount: s.freezeCount || 0,
          pliCount: s.pliCount || 0,
          firCount: s.firCount || 0,
          nackCount: s.nackCount || 0,
          decoderImplementation: s.decoderImplementation,
        });
      } else if (s.type === 'outbound-rtp') {
        outbound.push({
          kind: s.kind,
          mid: s.mid,
          ssrc: s.ssrc,
          rid: s.rid,
          packetsSent: s.packetsSent || 0,
          framesEncoded: s.framesEncoded || 0,
          frameWidth: s.frameWidth || 0,
          frameHeight: s.frameHeight || 0,
          qualityLimitationReason: s.qualityLimitationReason,
          // Simulcast: `active` is the encoding's RTCRtpEncodingParameters.active.
          active: s.active,
          bytesSent: s.bytesSent || 0,
          framesSent: s.framesSent || 0,
          mimeType: mimeType(s),
          encoderImplementation: s.encoderImplementation,
        });
      }
    });
    return { inbound, outbound };
  });
}

/** The inbound-rtp entry of `kind` received from `participantId`, or undefined. */
export function inboundFrom(stats, participantId, kind) {
  return stats.inbound.find((s) => s.participantId === participantId && s.kind === kind);
}

/** The sender's outbound video resolution, or null while it has not encoded a frame. */
export function outboundVideoSize(stats) {
  // A simulcast encoding paused by a tier plan keeps reporting its last size.
  const video = stats.outbound.filter((s) => s.kind === 'video' && s.frameWidth > 0 && s.active !== false);
  if (video.length === 0) return null;
  // With simulcast the largest encoding sent is the reference.
  const largest = video.reduce((a, b) => (a.frameWidth * a.frameHeight >= b.frameWidth * b.frameHeight ? a : b));
  return { width: largest.frameWidth, height: largest.frameHeight };
}
