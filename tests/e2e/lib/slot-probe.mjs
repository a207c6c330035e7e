// Reads who is really in each audio slot of a page, from the media itself.
//
// myriad-loadtest starts every RTP payload with a record naming the publisher
// and its current talk spurt (loadtest/client/LoadtestPayload.h); the server
// forwards payloads untouched. An RTCRtpScriptTransform on each slot's
// receiver (WebRTC Encoded Transform) reads that record from every audio
// frame before it is decoded and passes the frame on unchanged, so the test
// can compare what the slot carries with what `speakers` says it carries.

// Runs in every page before its scripts (BrowserContext.addInitScript).
// Chromium hands a receiver's encoded frames to an RTCRtpScriptTransform only
// when the transform is set before the receiver starts (setting it on a
// running slot yields no frames), so every recvonly audio transceiver gets its
// probe the moment it is created; its findings live on transceiver.__slotProbe.
function probeRecvonlyAudio() {
  // Record layout (big endian): 'M' 'L' version(1) stream | publisher u32 |
  // send time u64 | talk spurt start u64 (0 = not talking).
  const workerSource = `
    onrtctransform = (event) => {
      const { readable, writable } = event.transformer;
      readable.pipeThrough(new TransformStream({
        transform(frame, controller) {
          const view = new DataView(frame.data);
          let record = null;
          if (view.byteLength >= 24 && view.getUint8(0) === 0x4d && view.getUint8(1) === 0x4c && view.getUint8(2) === 1) {
            record = { publisher: view.getUint32(4), talkSpurtStartUs: Number(view.getBigUint64(16)) };
          }
          postMessage(record);
          controller.enqueue(frame);
        },
      })).pipeTo(writable);
    };`;
  let workerUrl = null;
  const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
  RTCPeerConnection.prototype.addTransceiver = function addProbedTransceiver(trackOrKind, init) {
    const transceiver = addTransceiver.call(this, trackOrKind, init);
    if (trackOrKind === 'audio' && init && init.direction === 'recvonly') {
      workerUrl ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      const probe = { frames: 0, withRecord: 0, publisher: -1, talkSpurtStartUs: 0, lastFrameAt: 0 };
      const worker = new Worker(workerUrl);
      worker.onmessage = ({ data }) => {
        probe.frames += 1;
        probe.lastFrameAt = Date.now();
        if (data) {
          probe.withRecord += 1;
          probe.publisher = data.publisher;
          probe.talkSpurtStartUs = data.talkSpurtStartUs;
        }
      };
      transceiver.receiver.transform = new RTCRtpScriptTransform(worker, {});
      transceiver.__slotProbe = probe;
    }
    return transceiver;
  };
}

/**
 * Installs the probe in every page the context opens from now on (call
 * before opening the participants' pages).
 * @param {import('playwright-core').BrowserContext} context
 */
export async function installSlotProbes(context) {
  await context.addInitScript(probeRecvonlyAudio);
}

/**
 * One sample of the page's audio slots, taken at one instant of the page:
 * `slots` has, per slot, who `speakers` names (participantId and roster
 * name), who the media carries (publisher index, talking or not, a frame
 * within the last `freshMs`) and the slot track's inbound-rtp
 * packetsReceived and audioLevel; `eventCount` is the length of the demo's
 * event log at that instant.
 */
export async function sampleSlots(page, { freshMs = 500 } = {}) {
  return page.evaluate(async (fresh) => {
    const client = window.myriad;
    const report = await client.pc.getStats();
    const inboundByTrack = new Map();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inboundByTrack.set(s.trackIdentifier, s);
    });
    const now = Date.now();
    const slots = client.slots.map((receiver) => {
      const speaker = client.speakers[receiver.slot] || {};
      const participant = speaker.participantId ? client.participants.get(speaker.participantId) : null;
      const media = receiver.transceiver.__slotProbe || null;
      const inbound = receiver.track ? inboundByTrack.get(receiver.track.id) : null;
      return {
        slot: receiver.slot,
        participantId: speaker.participantId || null,
        name: participant ? participant.name : null,
        mediaPublisher: media && media.withRecord > 0 ? media.publisher : null,
        mediaTalking: !!(media && media.talkSpurtStartUs > 0),
        mediaFresh: !!(media && now - media.lastFrameAt <= fresh),
        frames: media ? media.frames : 0,
        packetsReceived: inbound ? inbound.packetsReceived || 0 : 0,
        audioLevel: inbound ? inbound.audioLevel || 0 : 0,
      };
    });
    return { slots, eventCount: window.demoState.events.length };
  }, freshMs);
}

/** The load generator's participant index from its roster name "lt-<index>", or null. */
export function syntheticIndex(name) {
  const match = /^lt-(\d+)$/.exec(name || '');
  return match ? Number(match[1]) : null;
}

/**
 * The slots of a sample's `slots` where `speakers` and the media agree on a synthetic
 * participant who is talking right now: [{slot, index, participantId, ...}].
 */
export function agreeingTalkers(sample) {
  return sample
    .map((s) => ({ ...s, index: syntheticIndex(s.name) }))
    .filter((s) => s.index !== null && s.mediaFresh && s.mediaTalking && s.mediaPublisher === s.index);
}
