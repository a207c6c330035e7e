// Myriad client SDK: one WebSocket for signalling (docs/protocol.md) and one
// RTCPeerConnection per participant. The client always offers and the server
// always answers, so every media change goes through one serialized
// negotiation queue and glare cannot happen.
//
// ES module, no dependencies, no build step:
//   import { MyriadClient } from './myriad.js';
//   const client = new MyriadClient();
//   client.addEventListener('trackSubscribed', (e) => attach(e.detail.stream));
//   await client.join('demo', 'Alice');
//   await client.publish(await navigator.mediaDevices.getUserMedia({ video: true, audio: true }));

const DEFAULT_SOURCE_BY_KIND = { video: 'camera', audio: 'microphone' };

// How long leave() waits for the server's `left` before closing the socket itself.
const LEAVE_TIMEOUT_MS = 2000;

/** Error raised for an `error` reply from the server; `code` is the protocol's error code. */
export class MyriadError extends Error {
  constructor(code, message) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'MyriadError';
    this.code = code;
  }
}

function defaultSignallingUrl() {
  const scheme = globalThis.location && globalThis.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${globalThis.location.host}/rtc`;
}

// Puts VP8 first and keeps every other codec (H.264, VP9, AV1, RTX, RED, FEC)
// after it, so the server can still pick something else. setCodecPreferences
// is missing in some browsers and throws for codecs it does not know, so a
// failure only means "no preference".
function preferVp8(transceiver) {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const capabilities = globalThis.RTCRtpReceiver && RTCRtpReceiver.getCapabilities
    ? RTCRtpReceiver.getCapabilities('video')
    : null;
  if (!capabilities || !capabilities.codecs) return;
  const isVp8 = (codec) => codec.mimeType.toLowerCase() === 'video/vp8';
  const ordered = [...capabilities.codecs.filter(isVp8), ...capabilities.codecs.filter((c) => !isVp8(c))];
  if (!ordered.some(isVp8)) return;
  try {
    transceiver.setCodecPreferences(ordered);
  } catch (err) {
    console.warn('myriad: setCodecPreferences failed, using the browser default order', err);
  }
}

export class MyriadClient extends EventTarget {
  /**
   * @param {object} [options]
   * @param {string} [options.url] signalling URL; default ws(s)://<location.host>/rtc
   * @param {boolean} [options.autoSubscribe] subscribe to every published track (default true)
   */
  constructor({ url, autoSubscribe = true } = {}) {
    super();
    this.url = url || defaultSignallingUrl();
    this.autoSubscribe = autoSubscribe;

    /** @type {RTCPeerConnection|null} exposed for getStats() in tests */
    this.pc = null;
    /** @type {string|null} */
    this.localParticipantId = null;
    /** @type {string|null} */
    this.room = null;
    /**
     * Everyone else in the room.
     * @type {Map<string, {participantId: string, name: string,
     *   tracks: Map<string, {trackId: string, kind: string, source: string}>}>}
     */
    this.participants = new Map();
    /**
     * What this client publishes, by server trackId.
     * @type {Map<string, {trackId: string, mid: string, kind: string, source: string,
     *   track: MediaStreamTrack, transceiver: RTCRtpTransceiver}>}
     */
    this.publications = new Map();
    /** 'idle' | 'connecting' | 'joined' | 'leaving' | 'closed' */
    this.state = 'idle';

    this._ws = null;
    this._nextRequestId = 1;
    this._pendingRequests = new Map(); // request id -> {resolve, reject, type}

    // Receive side: one entry per recvonly transceiver we created.
    // transceiver -> {trackId, participantId, kind, mid, announced, track, stream}
    this._subscriptions = new Map();
    // trackIds that should get a recvonly transceiver in the next negotiation.
    this._pendingSubscribes = new Set();
    // {track, stream, source, resolve, reject} waiting for the next negotiation.
    this._pendingPublishes = [];
    // Set when a transceiver was stopped but the stop is not yet negotiated.
    this._stopsToNegotiate = false;

    // Negotiation queue: `_queueTail` settles when the last queued run has
    // finished; `_nextRun` is the queued run that has not started yet, which
    // every new change joins (this is how changes are coalesced).
    this._queueTail = Promise.resolve();
    this._nextRun = null;
  }

  // ---------------------------------------------------------------- public API

  /**
   * Opens the signalling socket, joins `room` as `name` and creates the peer
   * connection. Resolves with the server's `joined` message (the snapshot).
   */
  async join(room, name) {
    if (this.state !== 'idle') throw new Error(`join() called in state ${this.state}`);
    this.state = 'connecting';
    this.room = room;
    try {
      await this._openSocket();
      const joined = await this._request({ type: 'join', room, name });
      this.localParticipantId = joined.participantId;
      this._createPeerConnection();
      this.state = 'joined';
      for (const p of joined.participants || []) {
        this._addParticipant(p.participantId, p.name, true);
        for (const t of p.tracks || []) this._onTrackPublished({ participantId: p.participantId, ...t }, false);
      }
      this._requestNegotiationIfNeeded();
      return joined;
    } catch (err) {
      this._teardown(err && err.code ? err.code : 'join_failed', false);
      throw err;
    }
  }

  /**
   * Publishes every track of `mediaStream` on its own sendonly transceiver.
   * Resolves with one entry per track: {trackId, mid, kind, source, track}.
   * `sources` optionally overrides the source per kind, e.g. {video: 'screen'}.
   */
  async publish(mediaStream, { sources = {} } = {}) {
    this._assertJoined();
    const tracks = mediaStream.getTracks();
    if (tracks.length === 0) return [];
    const results = tracks.map((track) => new Promise((resolve, reject) => {
      this._pendingPublishes.push({
        track,
        stream: mediaStream,
        source: sources[track.kind] || DEFAULT_SOURCE_BY_KIND[track.kind],
        resolve,
        reject,
      });
    }));
    this._requestNegotiation();
    const published = await Promise.all(results);
    return published.map(({ trackId, mid, kind, source, track }) => ({ trackId, mid, kind, source, track }));
  }

  /** Stops publishing `track` (a MediaStreamTrack or a trackId) and renegotiates. */
  async unpublish(trackOrId) {
    this._assertJoined();
    for (const [trackId, pub] of this.publications) {
      if (trackId === trackOrId || pub.track === trackOrId) {
        this.publications.delete(trackId);
        pub.transceiver.stop();
        this._stopsToNegotiate = true;
      }
    }
    await this._requestNegotiation();
  }

  /** Subscribes to a track by id (only needed with autoSubscribe: false). */
  async subscribe(trackId) {
    this._assertJoined();
    this._pendingSubscribes.add(trackId);
    await this._requestNegotiation();
  }

  /** Sends `leave`, waits briefly for `left`, then closes everything. */
  async leave() {
    if (this.state === 'idle' || this.state === 'closed') return;
    if (this.state === 'leaving') return;
    this.state = 'leaving';
    const ws = this._ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      const closed = new Promise((resolve) => {
        const done = () => resolve();
        ws.addEventListener('close', done, { once: true });
        this.addEventListener('disconnected', done, { once: true });
        setTimeout(done, LEAVE_TIMEOUT_MS);
      });
      try {
        ws.send(JSON.stringify({ type: 'leave' }));
      } catch (err) {
        // The socket died meanwhile; the teardown below covers it.
      }
      await closed;
    }
    this._teardown('requested', true);
  }

  // ------------------------------------------------------------ signalling

  _openSocket() {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        reject(err);
        return;
      }
      this._ws = ws;
      let opened = false;
      ws.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      ws.addEventListener('message', (event) => this._onSocketMessage(event));
      ws.addEventListener('close', (event) => {
        if (this._ws !== ws) return;
        if (!opened) reject(new MyriadError('connect_failed', `cannot connect to ${this.url}`));
        this._teardown(this.state === 'leaving' ? 'requested' : 'websocket_closed',
          true, event.code ? `close code ${event.code}` : undefined);
      });
      // 'error' is always followed by 'close', which does the work.
    });
  }

  _send(message) {
    if (!this._ws || this._ws.readyState !== WebSocket.OPEN) {
      throw new MyriadError('not_connected', 'the signalling socket is not open');
    }
    this._ws.send(JSON.stringify(message));
  }

  // Sends a request with a fresh id and resolves with the reply carrying the
  // same id (`joined` / `answer`), or rejects on an `error` reply.
  _request(message) {
    const id = this._nextRequestId++;
    return new Promise((resolve, reject) => {
      this._pendingRequests.set(id, { resolve, reject, type: message.type });
      try {
        this._send({ ...message, id });
      } catch (err) {
        this._pendingRequests.delete(id);
        reject(err);
      }
    });
  }

  _onSocketMessage(event) {
    if (typeof event.data !== 'string') return; // the server only sends text frames
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (err) {
      this._emit('error', { code: 'bad_json', message: 'unparsable message from server' });
      return;
    }
    if (!msg || typeof msg.type !== 'string') return;

    if (msg.id !== undefined && this._pendingRequests.has(msg.id)) {
      const pending = this._pendingRequests.get(msg.id);
      this._pendingRequests.delete(msg.id);
      if (msg.type === 'error') pending.reject(new MyriadError(msg.code, msg.message));
      else pending.resolve(msg);
      return;
    }

    switch (msg.type) {
      case 'participantJoined':
        if (msg.participantId !== this.localParticipantId) this._addParticipant(msg.participantId, msg.name, false);
        break;
      case 'participantLeft':
        this._onParticipantLeft(msg.participantId);
        break;
      case 'trackPublished':
        if (msg.participantId !== this.localParticipantId) this._onTrackPublished(msg, true);
        break;
      case 'trackUnpublished':
        this._onTrackUnpublished(msg.participantId, msg.trackId);
        break;
      case 'left':
        this._teardown(msg.reason || 'requested', true);
        break;
      case 'error':
        // An error that answers no pending request (e.g. its id was unknown).
        this._emit('error', { code: msg.code, message: msg.message });
        break;
      default:
        // Unknown server messages are ignored, like unknown fields.
        break;
    }
  }

  // ------------------------------------------------------------- room state

  _addParticipant(participantId, name, fromSnapshot) {
    let p = this.participants.get(participantId);
    if (p) {
      if (name) p.name = name;
      return p;
    }
    p = { participantId, name: name || '', tracks: new Map() };
    this.participants.set(participantId, p);
    this._emit('participantJoined', { participantId, name: p.name, fromSnapshot });
    return p;
  }

  _onTrackPublished({ participantId, trackId, kind, source }, negotiate) {
    const p = this.participants.get(participantId) || this._addParticipant(participantId, '', false);
    p.tracks.set(trackId, { trackId, kind, source: source || DEFAULT_SOURCE_BY_KIND[kind] });
    this._emit('trackPublished', { participantId, trackId, kind, source });
    if (this.autoSubscribe && (kind === 'audio' || kind === 'video')) {
      this._pendingSubscribes.add(trackId);
      if (negotiate) this._requestNegotiation();
    }
  }

  _onTrackUnpublished(participantId, trackId) {
    const p = this.participants.get(participantId);
    if (p) p.tracks.delete(trackId);
    this._pendingSubscribes.delete(trackId);
    if (this._unsubscribe(trackId)) this._requestNegotiation();
    this._emit('trackUnpublished', { participantId, trackId });
  }

  _onParticipantLeft(participantId) {
    const p = this.participants.get(participantId);
    // The server unpublishes every track before `participantLeft`; this
    // covers any it did not.
    let stopped = false;
    if (p) {
      for (const trackId of p.tracks.keys()) {
        this._pendingSubscribes.delete(trackId);
        stopped = this._unsubscribe(trackId) || stopped;
      }
    }
    for (const [, sub] of this._subscriptions) {
      if (sub.participantId === participantId) stopped = this._unsubscribe(sub.trackId) || stopped;
    }
    if (stopped) this._requestNegotiation();
    this.participants.delete(participantId);
    this._emit('participantLeft', { participantId, name: p ? p.name : '' });
  }

  // Stops every recvonly transceiver bound to `trackId`; the remote track
  // ends at once. Returns true if anything needs renegotiating.
  _unsubscribe(trackId) {
    let stopped = false;
    for (const [transceiver, sub] of [...this._subscriptions]) {
      if (sub.trackId !== trackId) continue;
      this._subscriptions.delete(transceiver);
      this._stopReceiving(transceiver, sub, true);
      stopped = true;
    }
    if (stopped) this._stopsToNegotiate = true;
    return stopped;
  }

  _stopReceiving(transceiver, sub, announce) {
    const track = transceiver.receiver.track;
    try {
      transceiver.stop(); // a no-op when already stopped
    } catch (err) {
      // Already stopped or the connection is closed.
    }
    // stop() ends the receiver's track in current browsers; stopping it too
    // makes readyState 'ended' everywhere.
    if (track && track.readyState !== 'ended') track.stop();
    if (announce && sub.announced) {
      this._emit('trackUnsubscribed', {
        participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track, stream: sub.stream,
      });
    }
  }

  // ------------------------------------------------------------ negotiation

  _createPeerConnection() {
    // No iceServers: the server is ICE-lite with a host candidate, and the
    // browser only has to send connectivity checks to it.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: [] });
    this.pc = pc;
    pc.addEventListener('track', (event) => this._onRemoteTrack(event));
    pc.addEventListener('connectionstatechange', () => {
      this._emit('connectionStateChange', { state: pc.connectionState, iceConnectionState: pc.iceConnectionState });
    });
  }

  _onRemoteTrack(event) {
    const sub = this._subscriptions.get(event.transceiver);
    if (!sub || sub.announced) return; // not ours, or ontrack fired again for a re-negotiated m-line
    sub.announced = true;
    sub.track = event.track;
    sub.stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
    this._emit('trackSubscribed', {
      participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track: sub.track, stream: sub.stream,
    });
  }

  _hasPendingChanges() {
    return this._pendingPublishes.length > 0 || this._pendingSubscribes.size > 0 || this._stopsToNegotiate;
  }

  _requestNegotiationIfNeeded() {
    if (this._hasPendingChanges()) this._requestNegotiation();
  }

  // Schedules a negotiation that will include every change made before it
  // starts. Resolves when that negotiation has finished (never rejects: errors
  // go to the individual publish() promises and to 'error' events).
  _requestNegotiation() {
    if (!this._nextRun) {
      const run = this._queueTail.then(() => {
        this._nextRun = null;
        return this._negotiate();
      });
      this._nextRun = run.catch((err) => {
        this._emit('error', { code: err && err.code ? err.code : 'negotiation_failed', message: String(err && err.message ? err.message : err) });
      });
      this._queueTail = this._nextRun;
    }
    return this._nextRun;
  }

  async _negotiate() {
    if (this.state !== 'joined' || !this.pc || this.pc.signalingState === 'closed') {
      this._rejectPendingPublishes(new MyriadError('not_joined', 'left the room before publishing'));
      return;
    }
    const pc = this.pc;

    // Take every change made so far; later changes go to the next run.
    const publishes = this._pendingPublishes.splice(0);
    const subscribeIds = [...this._pendingSubscribes];
    this._pendingSubscribes.clear();
    const hadStops = this._stopsToNegotiate;
    this._stopsToNegotiate = false;

    const newPublications = publishes.map((pub) => {
      const transceiver = pc.addTransceiver(pub.track, { direction: 'sendonly', streams: [pub.stream] });
      if (pub.track.kind === 'video') preferVp8(transceiver);
      return { ...pub, transceiver };
    });

    const newSubscriptions = [];
    for (const trackId of subscribeIds) {
      const owner = this._findTrackOwner(trackId);
      if (!owner) continue; // unpublished meanwhile
      const alreadyBound = [...this._subscriptions.values()].some((s) => s.trackId === trackId);
      if (alreadyBound) continue;
      const kind = owner.track.kind;
      const transceiver = pc.addTransceiver(kind, { direction: 'recvonly' });
      const sub = { trackId, participantId: owner.participantId, kind, mid: null, announced: false, track: null, stream: null };
      this._subscriptions.set(transceiver, sub);
      newSubscriptions.push({ transceiver, sub });
    }

    if (newPublications.length === 0 && newSubscriptions.length === 0 && !hadStops) return;

    let offerSent = false;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);

      // Mids exist only now, after setLocalDescription.
      const publish = {};
      for (const pub of newPublications) publish[pub.transceiver.mid] = { source: pub.source };
      const subscribe = {};
      for (const { transceiver, sub } of newSubscriptions) {
        sub.mid = transceiver.mid;
        // The track may have been unpublished while the offer was built.
        if (this._subscriptions.has(transceiver)) subscribe[transceiver.mid] = sub.trackId;
      }

      const message = { type: 'offer', sdp: pc.localDescription.sdp };
      if (Object.keys(publish).length) message.publish = publish;
      if (Object.keys(subscribe).length) message.subscribe = subscribe;
      offerSent = true;
      const answer = await this._request(message);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });

      const rejected = new Set((answer.rejected || []).map(String));
      const tracks = answer.tracks || {};
      for (const pub of newPublications) {
        const mid = pub.transceiver.mid;
        const trackId = tracks[mid];
        if (rejected.has(mid) || !trackId) {
          pub.reject(new MyriadError('rejected', `the server rejected publishing ${pub.track.kind} on mid ${mid}`));
          continue;
        }
        const publication = { trackId, mid, kind: pub.track.kind, source: pub.source, track: pub.track, transceiver: pub.transceiver };
        this.publications.set(trackId, publication);
        pub.resolve(publication);
      }
      for (const { transceiver, sub } of newSubscriptions) {
        if (!rejected.has(sub.mid) || !this._subscriptions.has(transceiver)) continue;
        this._subscriptions.delete(transceiver);
        this._stopReceiving(transceiver, sub, true);
        this._emit('error', { code: 'subscription_rejected', message: `the server rejected track ${sub.trackId} on mid ${sub.mid}`, trackId: sub.trackId });
      }
    } catch (err) {
      // Undo the local offer so the next negotiation starts from 'stable'.
      if (pc.signalingState === 'have-local-offer') {
        try {
          await pc.setLocalDescription({ type: 'rollback' });
        } catch (rollbackErr) {
          console.warn('myriad: rollback failed', rollbackErr);
        }
      }
      for (const pub of newPublications) {
        try { pub.transceiver.stop(); } catch (e) { /* closed */ }
        pub.reject(err);
      }
      for (const { transceiver, sub } of newSubscriptions) {
        if (!this._subscriptions.has(transceiver)) continue;
        this._subscriptions.delete(transceiver);
        this._stopReceiving(transceiver, sub, false);
      }
      // Stops made before this offer were not negotiated: carry them over.
      if (hadStops) this._stopsToNegotiate = true;
      if (this.state === 'joined') {
        const code = err && err.code ? err.code : (offerSent ? 'bad_answer' : 'offer_failed');
        this._emit('error', { code, message: err && err.message ? err.message : String(err) });
      }
      return;
    }

    // Changes that arrived while this offer was in flight already queued a
    // new run via _requestNegotiation(); nothing else to do here.
  }

  _findTrackOwner(trackId) {
    for (const p of this.participants.values()) {
      const track = p.tracks.get(trackId);
      if (track) return { participantId: p.participantId, track };
    }
    return null;
  }

  _rejectPendingPublishes(err) {
    for (const pub of this._pendingPublishes.splice(0)) pub.reject(err);
  }

  // ---------------------------------------------------------------- teardown

  _assertJoined() {
    if (this.state !== 'joined') throw new MyriadError('not_joined', `not joined (state ${this.state})`);
  }

  // Closes socket and peer connection, ends remote tracks and emits
  // 'disconnected' exactly once.
  _teardown(reason, emit, detailMessage) {
    if (this.state === 'closed') return;
    const wasJoined = this.state === 'joined' || this.state === 'leaving';
    this.state = 'closed';

    const ws = this._ws;
    this._ws = null;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) {
      try { ws.close(1000); } catch (err) { /* already closing */ }
    }
    const err = new MyriadError('disconnected', reason);
    for (const pending of this._pendingRequests.values()) pending.reject(err);
    this._pendingRequests.clear();
    this._rejectPendingPublishes(err);
    this._pendingSubscribes.clear();

    for (const [transceiver, sub] of [...this._subscriptions]) {
      this._subscriptions.delete(transceiver);
      const track = transceiver.receiver.track;
      if (track && track.readyState !== 'ended') track.stop();
      if (sub.announced) {
        this._emit('trackUnsubscribed', { participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track, stream: sub.stream });
      }
    }
    if (this.pc) {
      this.pc.close();
      this._emit('connectionStateChange', { state: 'closed', iceConnectionState: 'closed' });
    }
    this.publications.clear();
    this.participants.clear();
    if (emit) this._emit('disconnected', { reason, message: detailMessage, wasJoined });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export default MyriadClient;
