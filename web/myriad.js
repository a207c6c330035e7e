// Myriad client SDK: one WebSocket for signalling (docs/protocol.md) and one
// RTCPeerConnection per participant. The client always offers and the server
// always answers, so every media change goes through one serialized
// negotiation queue and glare cannot happen.
//
// ES module, no dependencies, no build step:
//   import { MyriadClient } from './myriad.js';
//   const client = new MyriadClient();
//   client.addEventListener('trackSubscribed', (e) => attachVideo(e.detail));
//   client.addEventListener('speakers', (e) => showSpeakers(e.detail.slots));
//   await client.join('demo', 'Alice');
//   await client.publish(await navigator.mediaDevices.getUserMedia({ video: true, audio: true }));
//
// Built for rooms of a thousand participants where everyone may speak:
// - the roster arrives as a snapshot (paged; the SDK fetches every page) plus
//   batched `roster` deltas, applied idempotently;
// - audio arrives on K "audio slots" that the server fills with the room's
//   loudest speakers, not one subscription per microphone;
// - video is received for a viewport: the tiles on screen (at most 49) and
//   optionally the next page, prefetched;
// - cameras are published as simulcast (three encodings, q/h/f); the server
//   tells the publisher which sizes to encode (`tierPlan`) from what its
//   viewers want, and every viewer states the level it wants from the size of
//   the tile it renders into (attachVideo(), docs/protocol.md "Simulcast tiers").
//
// ---------------------------------------------------------------------- API
//
// new MyriadClient(options)
//   url            signalling URL (default ws(s)://<location.host>/rtc)
//   autoSubscribe  default true: receive without being asked. Audio: the audio
//                  slots (or, with audio: 'tracks', every audio track). Video:
//                  the first `pageSize` video tracks in roster order, the next
//                  `pageSize` prefetched, until the app calls setViewport().
//   audio          'slots' (default): `audioSlots` recvonly m-lines bound to
//                  the room's slots; 'tracks': one subscription per audio
//                  track (small rooms; also the fallback when the server
//                  announces no slots); 'none': no remote audio.
//   playAudio      default true (in a page): play every received audio track
//                  in a detached <audio> element.
//   pageSize       video tracks per automatic page (default and max 49).
//   simulcast      default true: a camera is sent as three simulcast encodings
//                  (rids q, h, f at 1/4, 1/2 and full size); false sends one.
//                  Screen shares are always one encoding.
//   videoCodec     'vp8' (default) or 'h264': the codec put first in the
//                  offer of published video (setCodecPreferences); the server
//                  takes the first one it supports.
//   maxVideoLevel  the device class's largest video level (index into
//                  `videoLevels`, default the top level): no subscription
//                  asks for more, whatever the tile size.
//   autoMove       default true: when the server drains (it is shutting
//                  down), move to the URL it names, or reconnect to `url`,
//                  which a load balancer sends elsewhere (move()).
//   controlChannel default true: offer the `myriad-control` data channel with
//                  the first offer and send conference control on it while it
//                  is open (docs/protocol.md "Data channel"); false keeps all
//                  of it on the WebSocket.
//
// Methods
//   join(room, name, {token})   -> the `joined` message (`token`: an access
//                                  token, `myriad token`). The snapshot is applied
//                                  before it resolves; further pages follow
//                                  (`roster` events, `rosterComplete`).
//   publish(stream, {sources, priority, simulcast, videoCodec, muted})
//                               -> [{trackId, mid, kind, source, track}].
//                                  `sources` overrides the source by kind, e.g.
//                                  {video: 'screen'}; `priority: true` asks for
//                                  an audio slot for this microphone whatever
//                                  its level (hosts, music); `simulcast` and
//                                  `videoCodec` override the client's options
//                                  for this call. `muted: true` publishes the
//                                  tracks muted: nothing is sent until
//                                  setMuted(trackId, false). Rejects with a
//                                  MyriadError (code `publisher_limit` when the
//                                  room has max_publishers) whose `published`
//                                  lists the tracks that were accepted.
//   unpublish(trackOrTrackId)
//   setViewport(visibleTrackIds, prefetchTrackIds = [])
//                               receive exactly these video tracks (at most
//                                  MAX_VISIBLE_VIDEO each), stop the others; one
//                                  renegotiation. Turns the automatic viewport
//                                  off. Unknown ids are kept and subscribed as
//                                  soon as the roster names them.
//   subscribe(trackId) / unsubscribe(trackId)
//                               pin a track (any kind) regardless of the
//                                  viewport / release the pin.
//   attachVideo(trackId, element) -> detach function
//                               the element (a tile, or the <video> itself)
//                                  that renders this remote video track; may be
//                                  called before the track is subscribed. Its
//                                  CSS content height x devicePixelRatio picks
//                                  the level: the smallest ladder level at least
//                                  that tall, capped by maxVideoLevel; with
//                                  several elements the tallest counts. Watched
//                                  with a ResizeObserver: a change of level is
//                                  sent as `setVideoLevel` (never an unchanged one).
//   detachVideo(trackId, element?)  stop watching one element (or all of them).
//   setVideoLevel(trackId, level)   explicit level (index into `videoLevels`,
//                                  capped by maxVideoLevel) that overrides the
//                                  elements; null returns to them.
//   videoLevel(trackId)         -> the level this client wants for the track
//                                  (null when the server has no ladder).
//                                  Without an element or explicit level a
//                                  visible track wants maxVideoLevel and a
//                                  prefetched one level 0.
//   levelForHeight(pixels)      -> the level a picture `pixels` device pixels
//                                  tall needs (also exported as a function of
//                                  (levels, pixels, maxLevel)).
//   resumeAudio()               call from a user gesture after `audioBlocked`.
//   videoTracks()               -> [{participantId, trackId, source, name}] in
//                                  roster order (what paging is done over).
//   leave()
//   move({url, token, deadlineMs}) -> {url, participantId, previousParticipantId,
//                                  publications}
//                               leave and join the same room again at `url`
//                                  (default: the current URL) and publish the
//                                  same local tracks there, each with its
//                                  source, priority and self-mute state; done by
//                                  the SDK itself when the server drains
//                                  (`drain`, docs/protocol.md "Drain") unless
//                                  autoMove is false. Participant and track ids
//                                  change.
//
// Conference control (docs/protocol.md "Conference control"): the server is
// the authority; each of these resolves with the room version at which
// everyone sees the change (the `ack`'s `version`) once the server has put it
// in force, and rejects with a MyriadError (`code`: forbidden, not_owner,
// mute_locked, not_muted, unknown_track, unknown_participant, bad_target...)
// when it refuses. Host actions need an access token with the `admin` grant.
// They ride the control data channel while it is open (so control shares fate
// with the media), and the WebSocket otherwise.
//   setMuted(trackId | 'audio' | 'video', muted)
//                               mute / unmute an own track ('audio': the
//                                  microphone(s), 'video': the camera(s); the
//                                  other tracks of the kind when there is none).
//                                  Muting stops the sender at once; unmuting
//                                  restarts it once the server accepted.
//   hostMute(trackId, {lock})   mute someone's track; `lock`: the owner cannot unmute.
//   unlockMute(trackId)         lift a host's lock (the track stays muted).
//   requestUnmute(trackId)      lift the lock and ask the owner (`unmuteRequested`).
//   acceptUnmuteRequest(trackId) = setMuted(trackId, false).
//   kick(participantId)         remove someone (they get `disconnected`, reason 'kicked').
//   raiseHand(raised = true)    this client's hand.
//   lowerHand(participantId)    lower someone else's hand.
//   sync()                      re-read the room (done automatically when a
//                                  roster version was skipped) -> the `sync` reply.
//
// State (read-only)
//   localParticipantId, room, state ('idle' | 'connecting' | 'joined' |
//   'leaving' | 'closed'), pc (for getStats()),
//   participants: Map participantId -> {participantId, name, handRaised,
//                 tracks: Map trackId -> {trackId, kind, source, muted, mutedBy,
//                 locked}} (roster order; mutedBy 'self' | 'host' | ''),
//   handRaised (this client's hand),
//   participantCount (everyone, including this client),
//   rosterVersion, rosterComplete (every page fetched),
//   publications: Map trackId -> {trackId, mid, kind, source, track, transceiver,
//                 simulcast (rids sent, or null), tierPlan ({version, encodings,
//                 applied, error}: the last plan handled, or null), muted,
//                 mutedBy, locked (the server's mute state of the track)},
//   videoLevels: [heights] from `joined` (index 0 = smallest; empty when the
//                 server has no ladder: then no level is ever sent),
//   maxVideoLevel,
//   audioSlotCount (K), slots: [{slot, mid, track, stream, element,
//                 participantId, trackId}], speakers: [{slot, participantId,
//                 trackId}] (null ids for an empty slot),
//   viewport: {visible, prefetch},
//   controlChannelState ('off' (option false) | 'idle' (not joined yet) |
//                 'connecting' | 'open' | 'closed' (closed, failed or refused
//                 by the server's answer: everything goes on the WebSocket)),
//   controlChannelStats: {sent (messages with a seq, first copies), copiesSent,
//                 viaSocket (control requests sent on the WebSocket instead),
//                 received (every copy), delivered (handed to the SDK once, in
//                 order), duplicates, heldBack (times a message overtook a
//                 missing seq and waited), early (unordered messages handed
//                 over before a missing seq), unsequenced (no seq)}
//
// Events (CustomEvent, data in `detail`)
//   participantJoined   {participantId, name, fromSnapshot}
//   participantUpdated  {participantId, name}            (name changed)
//   participantLeft     {participantId, name}
//   trackPublished      {participantId, trackId, kind, source, fromSnapshot}
//   trackUnpublished    {participantId, trackId, kind}
//   roster              {source: 'snapshot'|'page'|'batch'|'sync', version,
//                        joined, left, updated, hands (participantIds),
//                        published, unpublished, muted (trackIds),
//                        participantCount, complete}
//                       once per snapshot, page or batch that changed something
//   muteChanged         {participantId, trackId, kind, source, muted, by
//                        ('self'|'host'|''), locked, local}   a track's mute
//                        state changed (a new track counts as unmuted before);
//                        `local`: one of this client's tracks (a host muted
//                        it: the SDK has stopped its sender already)
//   handChanged         {participantId, raised, local}
//   unmuteRequested     {trackId, participantId, name, kind, source}  host
//                        `participantId` asks this client to unmute its track:
//                        the app decides (acceptUnmuteRequest(trackId))
//   trackSubscribed     {participantId, trackId, kind, track, stream, mid}
//   trackUnsubscribed   {participantId, trackId, kind, track, stream}
//   slotTrack           {slot, mid, track, stream}     a slot's track arrived
//   speakers            {slots: [{slot, participantId, trackId, name}],
//                        changed: [slot indexes]}
//   subscriptionRejected {trackId, mid}   the track was gone when the offer
//                        arrived (a race with its unpublish, not an error)
//   audioBlocked        {track}   autoplay refused; call resumeAudio() on a click
//   videoLevel          {trackId, mid, level, height}   a level was sent to the
//                        server (in `setVideoLevel`; the subscribe entry of a
//                        new subscription carries its first level silently)
//   tierPlan            {mid, trackId, version, encodings, applied, error}
//                        a `tierPlan` for a published track was applied with
//                        setParameters (applied: true) or failed (logged, not
//                        an 'error': the next plan tries again)
//   connectionStateChange {state, iceConnectionState}
//   controlChannelStateChange {state}   see controlChannelState
//   error               {code, message, ...} e.g. publisher_limit (with mid,
//                        kind), slot_rejected, roster_page_failed, offer_failed
//   disconnected        {reason, message, wasJoined}   reason 'kicked': a host
//                        removed this client; 'move_failed': a move found no
//                        server to join before its deadline
//   draining            {url, deadlineMs, reason}   the server is shutting down
//                        and asks this client to move (autoMove: it does)
//   reconnecting        {reason: 'drain', url, previousParticipantId}   a move
//                        started: `participantLeft` for everyone follows
//   reconnected         {url, participantId, previousParticipantId, publications}
//                        joined at `url` and published the local tracks again

const DEFAULT_SOURCE_BY_KIND = { video: 'camera', audio: 'microphone' };

/** At most this many video tracks are visible (7x7 tiles), and as many prefetched. */
export const MAX_VISIBLE_VIDEO = 49;

// How long leave() waits for the server's `left` before closing the socket itself.
const LEAVE_TIMEOUT_MS = 2000;

// move(): how long joins are retried when the server's `drain` gives no
// deadline, and the backoff between them (a load balancer needs a moment to
// stop routing to the draining server).
const DEFAULT_MOVE_DEADLINE_MS = 30000;
const MOVE_RETRY_FIRST_MS = 250;
const MOVE_RETRY_MAX_MS = 2000;

// The control data channel (docs/protocol.md "Data channel"). It is unordered
// and every message goes out twice, the copy CONTROL_COPY_GAP_MS later: a lost
// message then usually arrives with its copy instead of after SCTP's
// retransmission timeout, and nothing waits behind it; "seq" restores the
// order and drops the second copy at the receiver.
const CONTROL_CHANNEL_LABEL = 'myriad-control';
const CONTROL_COPY_GAP_MS = 10;
const DEFAULT_REQUEST_TIMEOUT_MS = 15000;
// Messages held back behind a missing seq before the channel counts as broken
// (the server's signaling::ControlSequencer::kMaxHeldBack).
const CONTROL_MAX_HELD_BACK = 512;
// The only requests the server takes on the channel; join, offer, leave,
// rosterPage and setVideoLevel stay on the WebSocket.
const CHANNEL_REQUEST_TYPES = new Set([
  'mute', 'hostMute', 'unlockMute', 'requestUnmute', 'kick', 'raiseHand', 'lowerHand', 'sync',
]);

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

function sameList(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// Unique ids in first-seen order.
function uniqueIds(ids) {
  return [...new Set(ids || [])];
}

// The simulcast encodings of a camera, in ascending size as the server
// expects (docs/protocol.md "Simulcast tiers"): Chromium sends at most three.
// Until the first `tierPlan` arrives they are the usual quarter, half and
// full size; the plan then sets each one's size, bitrate and frame rate.
const SIMULCAST_ENCODINGS = [
  { rid: 'q', scaleResolutionDownBy: 4 },
  { rid: 'h', scaleResolutionDownBy: 2 },
  { rid: 'f', scaleResolutionDownBy: 1 },
];

const VIDEO_CODECS = ['vp8', 'h264'];

// Where a preferred codec's variants go among themselves: H.264 in
// non-interleaved mode (the only one the server forwards) and constrained
// baseline first, which every browser decodes.
function codecRank(codec) {
  const fmtp = codec.sdpFmtpLine || '';
  let rank = 0;
  if (/packetization-mode=1/.test(fmtp)) rank -= 2;
  if (/profile-level-id=42e0/i.test(fmtp)) rank -= 1;
  return rank;
}

// Puts `codecName` ('vp8' or 'h264') first and keeps every other codec (VP9,
// AV1, RTX, RED, FEC, the other one) after it, so the server can still pick
// something else. setCodecPreferences is missing in some browsers and throws
// for codecs it does not know, so a failure only means "no preference".
function preferCodec(transceiver, codecName) {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const capabilities = globalThis.RTCRtpReceiver && RTCRtpReceiver.getCapabilities
    ? RTCRtpReceiver.getCapabilities('video')
    : null;
  if (!capabilities || !capabilities.codecs) return;
  const mimeType = `video/${codecName}`;
  const isPreferred = (codec) => codec.mimeType.toLowerCase() === mimeType;
  const preferred = capabilities.codecs.filter(isPreferred).sort((a, b) => codecRank(a) - codecRank(b));
  if (preferred.length === 0) {
    console.warn(`myriad: this browser cannot send ${codecName}, using its default codec order`);
    return;
  }
  try {
    transceiver.setCodecPreferences([...preferred, ...capabilities.codecs.filter((c) => !isPreferred(c))]);
  } catch (err) {
    console.warn('myriad: setCodecPreferences failed, using the browser default order', err);
  }
}

/**
 * The video level a picture `pixelHeight` device pixels tall needs: the
 * smallest level of `levels` (heights, ascending) at least that tall, the top
 * one when none is, never above `maxLevel`.
 */
export function levelForHeight(levels, pixelHeight, maxLevel = levels.length - 1) {
  if (levels.length === 0) return null;
  const cap = Math.max(0, Math.min(levels.length - 1, maxLevel));
  const index = levels.findIndex((height) => height >= pixelHeight);
  return Math.min(index < 0 ? levels.length - 1 : index, cap);
}

// The CSS content height of an element now (what a ResizeObserver reports as
// contentRect.height), for the first measurement before the observer fires.
function contentHeight(element) {
  if (!element.isConnected) return 0;
  const style = getComputedStyle(element);
  const padding = (Number.parseFloat(style.paddingTop) || 0) + (Number.parseFloat(style.paddingBottom) || 0);
  return Math.max(0, element.clientHeight - padding);
}

// How long the id of a `setVideoLevel` is remembered to recognise its `error`
// reply (there is no reply when it succeeds).
const LEVEL_REQUEST_MEMORY_MS = 10000;

// A track's mute state as the SDK keeps it (docs/protocol.md "Conference control").
const UNMUTED = Object.freeze({ muted: false, mutedBy: '', locked: false });

// The mute state an entry states: a snapshot track (`mutedBy`; a missing
// `muted` means unmuted), a roster `muted` entry or a `muted` message (`by`).
function muteStateOf(entry) {
  if (!entry || entry.muted !== true) return UNMUTED;
  const by = entry.mutedBy !== undefined ? entry.mutedBy : entry.by;
  return { muted: true, mutedBy: by === 'host' ? 'host' : 'self', locked: entry.locked === true };
}

function sameMuteState(a, b) {
  return a.muted === b.muted && a.mutedBy === b.mutedBy && a.locked === b.locked;
}

function pickMuteState({ muted, mutedBy, locked }) {
  return { muted, mutedBy, locked };
}

// A transceiver the answer rejected (port 0) is stopped by the browser itself
// (JSEP 5.11); one that is not yet stopped needs a stop and a new offer.
function isStopped(transceiver) {
  return transceiver.stopped === true || transceiver.currentDirection === 'stopped';
}

export class MyriadClient extends EventTarget {
  /**
   * @param {object} [options] see the API summary at the top of this file
   * @param {string} [options.url]
   * @param {boolean} [options.autoSubscribe]
   * @param {'slots'|'tracks'|'none'} [options.audio]
   * @param {boolean} [options.playAudio]
   * @param {number} [options.pageSize]
   * @param {boolean} [options.simulcast]
   * @param {'vp8'|'h264'} [options.videoCodec]
   * @param {number} [options.maxVideoLevel]
   * @param {boolean} [options.controlChannel]
   * @param {number} [options.requestTimeoutMs] a request unanswered this long
   *   rejects with MyriadError code 'timeout' (default 15000; 0: never). A
   *   request in flight on a control channel that closes may never reach the
   *   server, and the server cannot answer what it never got.
   */
  constructor({
    url, autoSubscribe = true, audio = 'slots', playAudio = typeof document !== 'undefined', pageSize = MAX_VISIBLE_VIDEO,
    simulcast = true, videoCodec = 'vp8', maxVideoLevel = null, controlChannel = true,
    requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, autoMove = true,
  } = {}) {
    super();
    if (!['slots', 'tracks', 'none'].includes(audio)) throw new TypeError(`audio must be 'slots', 'tracks' or 'none', not ${audio}`);
    if (!VIDEO_CODECS.includes(videoCodec)) throw new TypeError(`videoCodec must be one of ${VIDEO_CODECS.join(', ')}, not ${videoCodec}`);
    if (maxVideoLevel !== null && !(Number.isInteger(maxVideoLevel) && maxVideoLevel >= 0)) {
      throw new TypeError(`maxVideoLevel must be a level index (an integer >= 0), not ${maxVideoLevel}`);
    }
    this.url = url || defaultSignallingUrl();
    this.autoSubscribe = autoSubscribe;
    this.audioMode = audio;
    this.playAudio = playAudio;
    this.pageSize = Math.max(1, Math.min(MAX_VISIBLE_VIDEO, Math.floor(pageSize) || MAX_VISIBLE_VIDEO));
    this.simulcast = simulcast !== false;
    this.videoCodec = videoCodec;
    this.requestTimeoutMs = Number.isFinite(requestTimeoutMs) && requestTimeoutMs > 0 ? requestTimeoutMs : 0;
    /** The device class's largest level (null: the top of `videoLevels`). */
    this.maxVideoLevel = maxVideoLevel;

    // The control data channel: offered with the first offer unless false.
    this.controlChannelEnabled = controlChannel !== false;
    /** Follow a server's `drain` by moving (see move()); false: only the `draining` event. */
    this.autoMove = autoMove !== false;
    this._moving = null;
    this._resetSession();
  }

  // Everything that belongs to one session with one server: set up by the
  // constructor, and again when move() starts a session with another server.
  _resetSession() {
    /** @type {RTCPeerConnection|null} exposed for getStats() in tests */
    this.pc = null;
    /** @type {string|null} */
    this.localParticipantId = null;
    /** @type {string|null} */
    this.room = null;
    /**
     * Everyone else in the room, in roster order (snapshot order, then join order),
     * with the server's mute state of each track and each raised hand.
     * `identity` is the access token's subject ('' without a token).
     * @type {Map<string, {participantId: string, name: string, identity: string, handRaised: boolean,
     *   tracks: Map<string, {trackId: string, kind: string, source: string,
     *   muted: boolean, mutedBy: ''|'self'|'host', locked: boolean}>}>}
     */
    this.participants = new Map();
    /** Version of the last roster batch applied (or of the snapshot). */
    this.rosterVersion = null;
    /** True once every roster page after `joined` has been fetched. */
    this.rosterComplete = false;
    /**
     * What this client publishes, by server trackId, with the server's mute
     * state of each (the sender is stopped while muted).
     * @type {Map<string, {trackId: string, mid: string, kind: string, source: string,
     *   track: MediaStreamTrack, transceiver: RTCRtpTransceiver,
     *   muted: boolean, mutedBy: ''|'self'|'host', locked: boolean}>}
     */
    this.publications = new Map();
    /** K from `joined`: how many audio slots the room gives each subscriber. */
    this.audioSlotCount = 0;
    /**
     * The audio slot receivers, by slot index.
     * @type {Array<{slot: number, mid: string|null, transceiver: RTCRtpTransceiver, track: MediaStreamTrack|null,
     *   stream: MediaStream|null, element: HTMLAudioElement|null, participantId: string|null, trackId: string|null,
     *   rejected: boolean}>}
     */
    this.slots = [];
    /** Who each slot carries now, from the last `speakers` message. */
    this.speakers = [];
    /** The server's video ladder (heights, ascending) from `joined`; empty: no levels. */
    this.videoLevels = [];
    /** 'idle' | 'connecting' | 'joined' | 'leaving' | 'closed' */
    this.state = 'idle';

    this._ws = null;
    this._nextRequestId = 1;
    this._pendingRequests = new Map(); // request id -> {resolve, reject, type}

    // The control data channel: created with the peer connection, so the
    // first offer carries it (`_channelToNegotiate` until an offer did).
    /** 'off' | 'idle' | 'connecting' | 'open' | 'closed' */
    this.controlChannelState = this.controlChannelEnabled ? 'idle' : 'off';
    /** Counters of the control channel (see the API summary). */
    this.controlChannelStats = {
      sent: 0, copiesSent: 0, viaSocket: 0, received: 0, delivered: 0, duplicates: 0, heldBack: 0, early: 0, unsequenced: 0,
    };
    this._channel = null;
    this._channelToNegotiate = false;
    // Sequencing: the last seq sent; the next seq to hand over and the
    // messages that overtook it (seq -> message).
    this._channelSentSeq = 0;
    this._channelNextSeq = 1;
    this._channelHeld = new Map();

    // trackId -> {participantId, kind, source}: every remote track the roster knows.
    this._tracksById = new Map();
    // Receive side: one entry per recvonly transceiver bound to a track.
    // transceiver -> {trackId, participantId, kind, mid, announced, track, stream, element}
    this._subscriptions = new Map();
    // Tracks subscribed explicitly with subscribe().
    this._pinned = new Set();
    // Tracks the server refused to bind: not retried until published again.
    this._refusedTrackIds = new Set();
    // The app's viewport, once setViewport() was called.
    this._manualViewport = null;
    // {track, stream, source, priority, resolve, reject} waiting for the next negotiation.
    this._pendingPublishes = [];
    // Set when a transceiver was stopped but the stop is not yet negotiated.
    this._stopsToNegotiate = false;
    // Audio elements whose play() the autoplay policy refused.
    this._blockedAudio = new Set();

    // Video levels. trackId -> {elements: Map element -> CSS height, explicitLevel}:
    // what the app renders each remote video track into.
    this._videoViews = new Map();
    this._resizeObserver = null;
    // False once the server answered `setVideoLevel` with unknown_type.
    this._videoLevelsSupported = true;
    // Request id -> {mid, trackId, level, sentAt} of recent `setVideoLevel`s,
    // to recognise their `error` replies.
    this._levelRequests = new Map();

    // Tier plans: mid -> newest version seen; mid -> the newest plan not yet
    // applied. One setParameters() at a time, newest plan first.
    this._tierPlanVersions = new Map();
    this._pendingTierPlans = new Map();
    this._applyingTierPlans = false;

    // Conference control. This client's hand, and the server's mute state of
    // its own tracks by trackId (kept apart from `publications`: a `muted`
    // message may overtake the answer that creates the publication).
    this.handRaised = false;
    this._ownMuteStates = new Map();
    // The `sync` request in flight (one at a time), whether the server knows
    // `sync` at all, and while a sync's roster pages are still being fetched:
    // {unconfirmed} = the participants known before it that neither the sync
    // nor a later batch has named yet (removed once every page is in).
    this._syncing = null;
    this._syncSupported = true;
    this._resync = null;
    // Bumped by a sync: a roster page loop of an older generation stops.
    this._rosterGeneration = 0;

    // Negotiation queue: `_queueTail` settles when the last queued run has
    // finished; `_nextRun` is the queued run that has not started yet, which
    // every new change joins (this is how changes are coalesced).
    this._queueTail = Promise.resolve();
    this._nextRun = null;
    // Room version of the newest mute state applied per own track (_newerOwnMute).
    this._ownMuteVersions = null;
    // The token join() used, for move().
    this._token = null;
  }

  // ---------------------------------------------------------------- public API

  /**
   * Opens the signalling socket, joins `room` as `name` and creates the peer
   * connection. Resolves with the server's `joined` message once its snapshot
   * is applied; the remaining roster pages are fetched in the background.
   */
  async join(room, name, { token } = {}) {
    if (this.state !== 'idle') throw new Error(`join() called in state ${this.state}`);
    this.state = 'connecting';
    this.room = room;
    this._token = token || null;
    try {
      await this._openSocket();
      const request = { type: 'join', room, name };
      // An access token (docs/protocol.md "Access tokens"); a development-mode
      // server admits a join without one.
      if (token) request.token = token;
      const joined = await this._request(request);
      this.localParticipantId = joined.participantId;
      this._joinedName = name;
      this.rosterVersion = typeof joined.rosterVersion === 'number' ? joined.rosterVersion : 0;
      this._setUpSlots(joined.audioSlots);
      this.videoLevels = Array.isArray(joined.videoLevels)
        ? joined.videoLevels.filter((h) => Number.isFinite(h) && h > 0)
        : [];
      this._createPeerConnection();
      this.state = 'joined';
      const change = this._newRosterChange('snapshot', this.rosterVersion);
      this._applyParticipantList(joined.participants, change);
      this.rosterComplete = !joined.rosterNext;
      this._finishRosterChange(change, true);
      if (joined.rosterNext) this._fetchRosterPages(joined.rosterNext);
      return joined;
    } catch (err) {
      this._teardown(err && err.code ? err.code : 'join_failed', false);
      throw err;
    }
  }

  /**
   * Publishes every track of `mediaStream` on its own sendonly transceiver.
   * Resolves with one entry per track: {trackId, mid, kind, source, track}.
   * `sources` optionally overrides the source per kind, e.g. {video: 'screen'};
   * `priority` marks the audio tracks as always getting an audio slot.
   * `simulcast` (default: the client's option) sends a camera as three
   * encodings; `videoCodec` ('vp8' | 'h264') overrides the client's codec.
   * If the server refuses some tracks, rejects with the first refusal (a
   * MyriadError, `code` e.g. `publisher_limit`) carrying `published`: the
   * entries of the tracks it accepted.
   */
  async publish(mediaStream, {
    sources = {}, priority = false, simulcast = this.simulcast, videoCodec = this.videoCodec, muted = false,
  } = {}) {
    this._assertJoined();
    if (!VIDEO_CODECS.includes(videoCodec)) throw new TypeError(`videoCodec must be one of ${VIDEO_CODECS.join(', ')}, not ${videoCodec}`);
    const tracks = mediaStream.getTracks();
    if (tracks.length === 0) return [];
    const results = tracks.map((track) => new Promise((resolve, reject) => {
      const source = sources[track.kind] || DEFAULT_SOURCE_BY_KIND[track.kind];
      this._pendingPublishes.push({
        track,
        stream: mediaStream,
        source,
        priority: track.kind === 'audio' && priority === true,
        simulcast: track.kind === 'video' && source === 'camera' && simulcast !== false,
        videoCodec,
        startMuted: muted === true,
        resolve,
        reject,
      });
    }));
    this._requestNegotiation();
    const settled = await Promise.allSettled(results);
    if (muted === true) await this._muteNewPublications(settled);
    const published = settled
      .filter((r) => r.status === 'fulfilled')
      .map(({ value: { trackId, mid, kind, source, track } }) => ({ trackId, mid, kind, source, track }));
    const refused = settled.find((r) => r.status === 'rejected');
    if (refused) {
      const err = refused.reason instanceof Error ? refused.reason : new MyriadError('rejected', String(refused.reason));
      err.published = published;
      throw err;
    }
    return published;
  }

  // publish({muted: true}): the transceivers were created without their
  // tracks and stay that way (_pendingMutes 1) until the server has the track
  // muted, so not one packet goes out. A track the server would not mute is
  // unpublished rather than sent.
  async _muteNewPublications(settled) {
    await Promise.all(settled.filter((r) => r.status === 'fulfilled').map(async (r) => {
      const publication = r.value;
      try {
        await this._setTrackMuted(publication.trackId, true);
      } catch (err) {
        if (this.publications.get(publication.trackId) === publication) {
          await this.unpublish(publication.trackId).catch(() => {});
        }
        r.status = 'rejected';
        r.reason = err;
        return;
      }
      publication._pendingMutes -= 1;
      this._updateSender(publication);
    }));
  }

  /** Stops publishing `track` (a MediaStreamTrack or a trackId) and renegotiates. */
  async unpublish(trackOrId) {
    this._assertJoined();
    for (const [trackId, pub] of this.publications) {
      if (trackId === trackOrId || pub.track === trackOrId) {
        this.publications.delete(trackId);
        this._ownMuteStates.delete(trackId);
        this._pendingTierPlans.delete(pub.mid);
        this._tierPlanVersions.delete(pub.mid);
        pub.transceiver.stop();
        this._stopsToNegotiate = true;
      }
    }
    await this._requestNegotiation();
  }

  /**
   * Receives exactly the video tracks in `visibleTrackIds` and
   * `prefetchTrackIds` (plus pinned ones), at most MAX_VISIBLE_VIDEO each, and
   * stops receiving every other video track, in one renegotiation. From now
   * on the app owns the viewport (the automatic first page is off). Resolves
   * when the negotiation that applies it has finished.
   */
  setViewport(visibleTrackIds, prefetchTrackIds = []) {
    if (this.state !== 'joined') return Promise.reject(new MyriadError('not_joined', `not joined (state ${this.state})`));
    const visible = uniqueIds(visibleTrackIds);
    const prefetch = uniqueIds(prefetchTrackIds).filter((id) => !visible.includes(id));
    if (visible.length > MAX_VISIBLE_VIDEO || prefetch.length > MAX_VISIBLE_VIDEO) {
      return Promise.reject(new RangeError(
        `setViewport: at most ${MAX_VISIBLE_VIDEO} visible and ${MAX_VISIBLE_VIDEO} prefetched video tracks`));
    }
    const current = this._manualViewport;
    this._manualViewport = { visible, prefetch };
    if (current && sameList(current.visible, visible) && sameList(current.prefetch, prefetch)) {
      return this._queueTail.then(() => undefined);
    }
    // A prefetched track that became visible (kept, not renegotiated) wants
    // its visible level now.
    this._refreshVideoLevels();
    return this._requestNegotiation();
  }

  /** The viewport in force: the app's, or the automatic first page. */
  get viewport() {
    if (this._manualViewport) {
      return { visible: [...this._manualViewport.visible], prefetch: [...this._manualViewport.prefetch] };
    }
    if (!this.autoSubscribe) return { visible: [], prefetch: [] };
    const ids = this.videoTracks().map((t) => t.trackId);
    return { visible: ids.slice(0, this.pageSize), prefetch: ids.slice(this.pageSize, 2 * this.pageSize) };
  }

  /** Every remote video track in roster order: [{participantId, trackId, source, name}]. */
  videoTracks() {
    const list = [];
    for (const p of this.participants.values()) {
      for (const t of p.tracks.values()) {
        if (t.kind === 'video') list.push({ participantId: p.participantId, trackId: t.trackId, source: t.source, name: p.name });
      }
    }
    return list;
  }

  /** Everyone in the room, this client included. */
  get participantCount() {
    return this.participants.size + (this.localParticipantId ? 1 : 0);
  }

  /** Receives `trackId` (any kind) regardless of the viewport, until unsubscribe(). */
  async subscribe(trackId) {
    this._assertJoined();
    this._pinned.add(trackId);
    await this._requestNegotiation();
  }

  /** Releases a subscribe() pin; the track stops unless the viewport still wants it. */
  async unsubscribe(trackId) {
    this._assertJoined();
    this._pinned.delete(trackId);
    await this._requestNegotiation();
  }

  /**
   * Tells the SDK that `element` renders the remote video track `trackId`
   * (it may be called before the track is subscribed). The element's CSS
   * content height times devicePixelRatio picks the level this client asks
   * for (levelForHeight); a ResizeObserver follows it, and a changed level is
   * sent to the server. Returns a function that detaches the element.
   */
  attachVideo(trackId, element) {
    if (typeof trackId !== 'string' || !element) throw new TypeError('attachVideo(trackId, element)');
    const view = this._videoView(trackId);
    if (!view.elements.has(element)) {
      view.elements.set(element, contentHeight(element));
      const observer = this._observer();
      if (observer) observer.observe(element);
    }
    this._refreshVideoLevels(trackId);
    return () => this.detachVideo(trackId, element);
  }

  /** Stops following `element` (every element of the track when omitted). */
  detachVideo(trackId, element) {
    const view = this._videoViews.get(trackId);
    if (!view) return;
    const elements = element ? [element] : [...view.elements.keys()];
    for (const e of elements) {
      if (!view.elements.delete(e)) continue;
      if (this._resizeObserver && !this._isElementAttached(e)) this._resizeObserver.unobserve(e);
    }
    if (view.elements.size === 0 && view.explicitLevel === null) this._videoViews.delete(trackId);
    this._refreshVideoLevels(trackId);
  }

  /**
   * Asks for `level` (index into `videoLevels`, capped by maxVideoLevel) on
   * the remote video track `trackId` whatever size its elements have; `null`
   * returns to the elements' size. Returns the level now wanted.
   */
  setVideoLevel(trackId, level) {
    if (level !== null && !(Number.isInteger(level) && level >= 0)) {
      throw new TypeError(`setVideoLevel: level must be an integer >= 0 or null, not ${level}`);
    }
    const view = this._videoView(trackId);
    view.explicitLevel = level;
    if (level === null && view.elements.size === 0) this._videoViews.delete(trackId);
    this._refreshVideoLevels(trackId);
    return this.videoLevel(trackId);
  }

  /**
   * The level this client wants for the remote video track `trackId` (null
   * when the server announced no ladder).
   */
  videoLevel(trackId) {
    return this._wantedVideoLevel(trackId);
  }

  /** The level a picture `pixelHeight` device pixels tall needs, capped by maxVideoLevel. */
  levelForHeight(pixelHeight) {
    return levelForHeight(this.videoLevels, pixelHeight, this._topVideoLevel());
  }

  /** Retries audio playback that the autoplay policy refused; call it from a user gesture. */
  resumeAudio() {
    const blocked = [...this._blockedAudio];
    this._blockedAudio.clear();
    return Promise.all(blocked.map((element) => element.play().catch((err) => {
      this._blockedAudio.add(element);
      throw err;
    })));
  }

  // ------------------------------------------------------- conference control

  /**
   * Mutes or unmutes this client's own track: a trackId, or 'audio' / 'video'
   * for the microphone / camera (every track of that kind when none has that
   * source). Muting stops the sender at once, before the server answers: the
   * user meant it. Unmuting restarts it only once the server accepted (a
   * host's lock refuses it with `mute_locked`). Resolves with the ack's room
   * version (the highest, for several tracks).
   */
  async setMuted(target, muted) {
    this._assertJoined();
    if (typeof muted !== 'boolean') throw new TypeError(`setMuted: muted must be a boolean, not ${muted}`);
    const trackIds = this._ownTrackIds(target);
    const versions = (await Promise.all(trackIds.map((trackId) => this._setTrackMuted(trackId, muted))))
      .filter((version) => typeof version === 'number');
    return versions.length > 0 ? Math.max(...versions) : null;
  }

  /** Accepts a host's `unmuteRequested`: setMuted(trackId, false). */
  acceptUnmuteRequest(trackId) {
    return this.setMuted(trackId, false);
  }

  /** Host: mutes someone's track; with `lock` its owner cannot unmute it. */
  async hostMute(trackId, { lock = false } = {}) {
    return this._control({ type: 'hostMute', trackId: this._trackIdArgument(trackId), lock: lock === true });
  }

  /** Host: lifts a lock; the track stays muted until its owner unmutes it. */
  async unlockMute(trackId) {
    return this._control({ type: 'unlockMute', trackId: this._trackIdArgument(trackId) });
  }

  /** Host: lifts the lock and asks the owner to unmute (a host never unmutes anyone). */
  async requestUnmute(trackId) {
    return this._control({ type: 'requestUnmute', trackId: this._trackIdArgument(trackId) });
  }

  /** Host: removes `participantId` from the room (it gets `left` with reason `kicked`). */
  async kick(participantId) {
    return this._control({ type: 'kick', participantId: this._participantIdArgument(participantId) });
  }

  /** Raises (or with `false` lowers) this client's hand. */
  async raiseHand(raised = true) {
    const version = await this._control({ type: 'raiseHand', raised: raised !== false });
    // The ack means it is in force; the room hears it with the next batch.
    this._setOwnHand(raised !== false);
    return version;
  }

  /** Host: lowers someone else's raised hand. */
  async lowerHand(participantId) {
    return this._control({ type: 'lowerHand', participantId: this._participantIdArgument(participantId) });
  }

  /**
   * Re-reads the room: the server's `sync` reply (a snapshot like `joined`'s
   * plus this client's own tracks and hand) replaces what the SDK knew; roster
   * batches up to its `rosterVersion` are ignored from then on. The SDK calls
   * it itself when a roster batch skips a version. Resolves with the reply.
   */
  async sync() {
    this._assertJoined();
    if (!this._syncing) {
      this._syncing = this._request({ type: 'sync' })
        .then((reply) => {
          this._applySync(reply);
          return reply;
        })
        .finally(() => {
          this._syncing = null;
        });
    }
    return this._syncing;
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

  /**
   * Moves this client to another server (what the SDK does by itself when
   * its server drains, docs/protocol.md "Drain"): leaves, joins the same
   * room as the same name at `url` (default: the URL in use) with `token`
   * (default: the one join() used), and publishes every local track again
   * with its source, priority and self-mute state; a raised hand is raised
   * again. A join refused with `server_draining` (or a failed connection) is
   * retried with backoff for up to `deadlineMs`. Participant and track ids
   * change: the app sees `participantLeft` for everyone, then the new
   * server's snapshot. Events: `reconnecting`, then `reconnected`, or
   * `disconnected` (reason 'move_failed') when no join succeeded in time.
   */
  async move({ url, token, deadlineMs = DEFAULT_MOVE_DEADLINE_MS } = {}) {
    if (this._moving) return this._moving;
    this._assertJoined();
    this._moving = this._move(url || this.url, token === undefined ? this._token : token, deadlineMs);
    try {
      return await this._moving;
    } finally {
      this._moving = null;
    }
  }

  async _move(url, token, deadlineMs) {
    const deadline = Date.now() + Math.max(0, deadlineMs);
    const { room } = this;
    const name = this._joinedName;
    const previousParticipantId = this.localParticipantId;
    // What goes along: the local tracks (the app's; never stopped here), each
    // with how it was published and whether its owner had muted it.
    const carried = [...this.publications.values()].map((p) => ({
      track: p.track, kind: p.kind, source: p.source, ...p._publishOptions,
      muted: p.muted && p.mutedBy === 'self',
    })).filter((c) => c.track && c.track.readyState !== 'ended');
    const handRaised = this.handRaised;
    this._emit('reconnecting', { reason: 'drain', url, previousParticipantId });

    // Leave the old server without waiting for its `left`; everyone it showed is gone.
    try { this._send({ type: 'leave' }); } catch (err) { /* already closed */ }
    for (const participant of [...this.participants.values()]) {
      this._emit('participantLeft', { participantId: participant.participantId, name: participant.name });
    }
    this._teardown('moved', false);

    let delay = MOVE_RETRY_FIRST_MS;
    for (;;) {
      this._resetSession();
      this.url = url;
      try {
        await this.join(room, name, { token });
        break;
      } catch (err) {
        const retryable = ['server_draining', 'connect_failed', 'disconnected', 'timeout', 'websocket_closed']
          .includes(err && err.code);
        if (!retryable || Date.now() + delay > deadline) {
          this._resetSession();
          this.state = 'closed';
          this._emit('disconnected', {
            reason: 'move_failed', message: err && err.message ? err.message : String(err), wasJoined: true,
          });
          throw err;
        }
        await new Promise((resolve) => { setTimeout(resolve, delay); });
        delay = Math.min(MOVE_RETRY_MAX_MS, delay * 2);
      }
    }

    // One negotiation for all of them: the queue coalesces the publishes.
    const republished = await Promise.allSettled(carried.map((c) => this.publish(new MediaStream([c.track]), {
      sources: { [c.kind]: c.source }, priority: c.priority, simulcast: c.simulcast,
      videoCodec: c.videoCodec, muted: c.muted,
    })));
    for (const result of republished) {
      if (result.status === 'rejected') {
        const err = result.reason || {};
        this._emit('error', { code: err.code || 'republish_failed', message: err.message || String(err) });
      }
    }
    if (handRaised) await this.raiseHand(true).catch(() => {});
    const detail = {
      url, participantId: this.localParticipantId, previousParticipantId,
      publications: [...this.publications.values()].map(({ trackId, mid, kind, source, track }) => ({ trackId, mid, kind, source, track })),
    };
    this._emit('reconnected', detail);
    return detail;
  }

  _onDrain(msg) {
    if (this.state !== 'joined') return;
    const url = typeof msg.url === 'string' && /^wss?:\/\//.test(msg.url) ? msg.url : this.url;
    const deadlineMs = Number.isFinite(msg.deadlineMs) && msg.deadlineMs > 0 ? msg.deadlineMs : DEFAULT_MOVE_DEADLINE_MS;
    this._emit('draining', { url, deadlineMs, reason: msg.reason || 'server_shutdown' });
    if (this.autoMove) this.move({ url, deadlineMs }).catch((err) => console.warn('myriad: move failed', err));
  }

  // ------------------------------------------------------------ signalling

  // The signalling URL with the room in it (`?room=`): the server ignores it,
  // but a load balancer in front of several servers can hash on it and send
  // everyone of a room to the same one, also when they move after a drain.
  _socketUrl() {
    try {
      const url = new URL(this.url);
      if (this.room && !url.searchParams.has('room')) url.searchParams.set('room', this.room);
      return url.toString();
    } catch (err) {
      return this.url;
    }
  }

  _openSocket() {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(this._socketUrl());
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
  // same id (`joined` / `answer` / `rosterPage` / `ack` / `sync`), or rejects
  // on an `error` reply. Ids are unique over both paths, so a reply matches
  // whichever path it came on. Conference control takes the data channel
  // while it is open.
  _request(message) {
    const id = this._nextRequestId++;
    return new Promise((resolve, reject) => {
      let timer = null;
      const settle = (fn) => (value) => {
        if (timer !== null) clearTimeout(timer);
        this._pendingRequests.delete(id);
        fn(value);
      };
      this._pendingRequests.set(id, { resolve: settle(resolve), reject: settle(reject), type: message.type });
      try {
        if (CHANNEL_REQUEST_TYPES.has(message.type)) this._sendControl({ ...message, id });
        else this._send({ ...message, id });
      } catch (err) {
        this._pendingRequests.get(id).reject(err);
        return;
      }
      if (this.requestTimeoutMs > 0) {
        timer = setTimeout(() => {
          timer = null;
          const pending = this._pendingRequests.get(id);
          if (pending) pending.reject(new MyriadError('timeout', `no reply to ${message.type} within ${this.requestTimeoutMs} ms`));
        }, this.requestTimeoutMs);
      }
    });
  }

  _onSocketMessage(event) {
    const msg = this._parseServerMessage(event);
    if (msg) this._onServerMessage(msg);
  }

  // A server message (WebSocket frame or data channel message) as an object
  // with a `type`, or null.
  _parseServerMessage(event) {
    if (typeof event.data !== 'string') return null; // the server only sends text
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (err) {
      this._emit('error', { code: 'bad_json', message: 'unparsable message from server' });
      return null;
    }
    return msg && typeof msg.type === 'string' ? msg : null;
  }

  // Every server message, whichever path it came on (the channel's after
  // sequencing).
  _onServerMessage(msg) {
    if (msg.type === 'error' && msg.id !== undefined && this._levelRequests.has(msg.id)) {
      this._onVideoLevelError(msg);
      return;
    }
    if (msg.id !== undefined && this._pendingRequests.has(msg.id)) {
      const pending = this._pendingRequests.get(msg.id);
      this._pendingRequests.delete(msg.id);
      if (msg.type === 'error') pending.reject(new MyriadError(msg.code, msg.message));
      else pending.resolve(msg);
      return;
    }

    switch (msg.type) {
      case 'roster':
        this._onRosterBatch(msg);
        break;
      case 'speakers':
        this._onSpeakers(msg);
        break;
      case 'tierPlan':
        this._onTierPlan(msg);
        break;
      case 'muted':
        this._onMuted(msg);
        break;
      case 'unmuteRequest':
        this._onUnmuteRequest(msg);
        break;
      case 'left':
        this._teardown(msg.reason || 'requested', true);
        break;
      case 'drain':
        this._onDrain(msg);
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

  // ---------------------------------------------------------- control channel

  // Created before the first offer so that offer carries the m=application
  // line (the SDK offers only when something changes: _channelToNegotiate
  // makes the first negotiation happen even with nothing else to send).
  _openControlChannel(pc) {
    let channel;
    try {
      channel = pc.createDataChannel(CONTROL_CHANNEL_LABEL, { ordered: false });
    } catch (err) {
      console.warn('myriad: no control data channel, control stays on the WebSocket', err);
      this._setControlChannelState('closed');
      return;
    }
    this._channel = channel;
    this._channelToNegotiate = true;
    this._setControlChannelState('connecting');
    channel.addEventListener('open', () => {
      if (this._channel === channel) this._setControlChannelState('open');
    });
    channel.addEventListener('close', () => {
      if (this._channel === channel) this._closeControlChannel();
    });
    channel.addEventListener('message', (event) => {
      if (this._channel === channel) this._onChannelMessage(event);
    });
    // 'error' is followed by 'close', which does the work.
  }

  _setControlChannelState(state) {
    if (this.controlChannelState === state) return;
    this.controlChannelState = state;
    this._emit('controlChannelStateChange', { state });
  }

  // Control goes back to the WebSocket for good (the server does the same
  // when the channel closes). Held-back messages are dropped: the server
  // counted them as sent, and what they carried comes back with the `sync`
  // that the skipped roster version triggers.
  _closeControlChannel() {
    const channel = this._channel;
    if (!channel) return;
    this._channel = null;
    this._channelHeld.clear();
    if (channel.readyState === 'open' || channel.readyState === 'connecting') {
      try { channel.close(); } catch (err) { /* closing already */ }
    }
    if (this.controlChannelState !== 'off') this._setControlChannelState('closed');
  }

  // A conference control request: on the channel while it is open, on the
  // WebSocket otherwise (the server answers on the path a request came on).
  _sendControl(message) {
    if (this._channel && this._channel.readyState === 'open' && this._sendOnChannel(message)) return;
    this.controlChannelStats.viaSocket += 1;
    this._send(message);
  }

  // Sends `message` with the next seq, and the same text again
  // CONTROL_COPY_GAP_MS later. The seq is taken only once the first copy is
  // queued, so a failed send leaves no gap for the server to wait on.
  _sendOnChannel(message) {
    const channel = this._channel;
    const seq = this._channelSentSeq + 1;
    const text = JSON.stringify({ seq, ...message });
    try {
      channel.send(text);
    } catch (err) {
      console.warn('myriad: control channel send failed, using the WebSocket', err);
      return false;
    }
    this._channelSentSeq = seq;
    this.controlChannelStats.sent += 1;
    setTimeout(() => {
      if (channel.readyState !== 'open') return;
      try {
        channel.send(text);
        this.controlChannelStats.copiesSent += 1;
      } catch (err) {
        // Closing: the first copy is all there is.
      }
    }, CONTROL_COPY_GAP_MS);
    return true;
  }

  // Each seq is handed over once and in order: a duplicate (the copy, or a
  // seq already handed over) is dropped, one that overtook a missing seq
  // waits for it, unless the server marked it `unordered` (a reply or a
  // notification that carries its own order): that one is handed over at
  // once and its seq remembered, so the sequence passes it later without
  // handing it over again. A message without seq is handled as it comes.
  _onChannelMessage(event) {
    const stats = this.controlChannelStats;
    stats.received += 1;
    const msg = this._parseServerMessage(event);
    if (!msg) return;
    if (!Number.isInteger(msg.seq) || msg.seq < 1) {
      stats.unsequenced += 1;
      this._deliverChannelMessage(msg);
      return;
    }
    if (msg.seq < this._channelNextSeq || this._channelHeld.has(msg.seq)) {
      stats.duplicates += 1;
      return;
    }
    if (msg.seq !== this._channelNextSeq) {
      if (this._channelHeld.size >= CONTROL_MAX_HELD_BACK) {
        console.warn(`myriad: control channel stuck waiting for seq ${this._channelNextSeq}, using the WebSocket`);
        this._closeControlChannel();
        return;
      }
      if (msg.unordered === true) {
        this._channelHeld.set(msg.seq, null); // handed over now, passed over later
        stats.early += 1;
        this._deliverChannelMessage(msg);
        return;
      }
      this._channelHeld.set(msg.seq, msg);
      stats.heldBack += 1;
      return;
    }
    this._channelNextSeq += 1;
    this._deliverChannelMessage(msg);
    while (this._channel && this._channelHeld.has(this._channelNextSeq)) {
      const next = this._channelHeld.get(this._channelNextSeq);
      this._channelHeld.delete(this._channelNextSeq);
      this._channelNextSeq += 1;
      if (next) this._deliverChannelMessage(next);
    }
  }

  _deliverChannelMessage(msg) {
    this.controlChannelStats.delivered += 1;
    this._onServerMessage(msg);
  }

  // ------------------------------------------------------------------ roster

  _newRosterChange(source, version) {
    return {
      source, version, joined: [], left: [], updated: [], published: [], unpublished: [], muted: [], hands: [],
    };
  }

  // A snapshot, page or sync: [{participantId, name, handRaised, tracks:
  // [{trackId, kind, source, muted, mutedBy, locked}]}]. Each entry is the
  // participant's whole state when the server read it (pages are read from
  // the live roster): a known track it no longer lists is gone.
  _applyParticipantList(list, change) {
    for (const p of list || []) {
      if (!p || typeof p.participantId !== 'string' || p.participantId === this.localParticipantId) continue;
      const participant = this._rosterJoin(p.participantId, p.name, true, change, p.identity);
      const listed = new Set();
      for (const t of p.tracks || []) {
        if (!t || typeof t.trackId !== 'string') continue;
        listed.add(t.trackId);
        this._rosterPublish({ ...t, participantId: p.participantId }, true, change);
      }
      for (const trackId of [...participant.tracks.keys()]) {
        if (!listed.has(trackId)) this._rosterUnpublish(p.participantId, trackId, change);
      }
      this._setHand(p.participantId, p.handRaised === true, change);
    }
  }

  // A batch: joined, published, muted, hands, unpublished, left, in that
  // order (docs/protocol.md `roster`); batches the snapshot (or the last
  // sync) already covers are skipped. A version skipped means a batch was
  // missed: this one is applied all the same (every entry is the state at
  // its end) and the room re-read with `sync`.
  _onRosterBatch(msg) {
    if (this.state !== 'joined' || typeof msg.version !== 'number') return;
    if (this.rosterVersion !== null && msg.version <= this.rosterVersion) return;
    const missed = this.rosterVersion !== null && msg.version !== this.rosterVersion + 1;
    this.rosterVersion = msg.version;
    const change = this._newRosterChange('batch', msg.version);
    for (const p of msg.joined || []) {
      if (p && typeof p.participantId === 'string') this._rosterJoin(p.participantId, p.name, false, change, p.identity);
    }
    for (const t of msg.published || []) {
      if (t && typeof t.participantId === 'string') this._rosterPublish(t, false, change);
    }
    for (const m of msg.muted || []) {
      if (m && typeof m.participantId === 'string' && typeof m.trackId === 'string') this._applyMuteEntry(m, change);
    }
    for (const h of msg.hands || []) {
      if (h && typeof h.participantId === 'string') {
        this._confirmParticipant(h.participantId);
        this._setHand(h.participantId, h.raised === true, change);
      }
    }
    for (const t of msg.unpublished || []) {
      if (t && typeof t.participantId === 'string') this._rosterUnpublish(t.participantId, t.trackId, change);
    }
    for (const participantId of msg.left || []) this._rosterLeave(participantId, change);
    this._finishRosterChange(change, false);
    if (missed && this._syncSupported) this._syncAfterGap();
  }

  _syncAfterGap() {
    this.sync().catch((err) => {
      if (this.state !== 'joined') return;
      if (err && err.code === 'unknown_type') {
        // A server without `sync`: the snapshot and the batches are all there is.
        this._syncSupported = false;
        return;
      }
      this._emit('error', { code: 'sync_failed', message: err && err.message ? err.message : String(err) });
    });
  }

  // The `sync` reply replaces the roster like a snapshot: everyone it (or a
  // later page or batch) names stays, everyone else known before it is
  // removed once the last page is in; then this client's own tracks and hand.
  _applySync(reply) {
    if (this.state !== 'joined') return;
    if (typeof reply.rosterVersion === 'number') this.rosterVersion = reply.rosterVersion;
    this._rosterGeneration += 1; // an older page loop stops
    this._resync = { unconfirmed: new Set(this.participants.keys()) };
    const change = this._newRosterChange('sync', this.rosterVersion);
    this._applyParticipantList(reply.participants, change);
    for (const t of reply.tracks || []) {
      if (t && typeof t.trackId === 'string' && this._newerOwnMute(t.trackId, reply.rosterVersion)) {
        this._setOwnMute(t.trackId, muteStateOf(t));
      }
    }
    this._setOwnHand(reply.handRaised === true);
    const next = typeof reply.rosterNext === 'string' && reply.rosterNext ? reply.rosterNext : null;
    this.rosterComplete = !next;
    if (!next) this._finishResync(change);
    // Always announced, so the app sees that the room was re-read.
    this._finishRosterChange(change, true);
    if (next) this._fetchRosterPages(next);
  }

  _confirmParticipant(participantId) {
    if (this._resync) this._resync.unconfirmed.delete(participantId);
  }

  _finishResync(change) {
    if (!this._resync) return;
    const { unconfirmed } = this._resync;
    this._resync = null;
    for (const participantId of unconfirmed) this._rosterLeave(participantId, change);
  }

  async _fetchRosterPages(cursor) {
    const generation = this._rosterGeneration;
    const current = () => this.state === 'joined' && generation === this._rosterGeneration;
    let next = cursor;
    while (next && current()) {
      let page;
      try {
        page = await this._request({ type: 'rosterPage', cursor: next });
      } catch (err) {
        if (current()) {
          this._emit('error', { code: 'roster_page_failed', message: err && err.message ? err.message : String(err) });
        }
        return;
      }
      if (!current()) return;
      next = typeof page.rosterNext === 'string' && page.rosterNext ? page.rosterNext : null;
      const change = this._newRosterChange('page', this.rosterVersion);
      this._applyParticipantList(page.participants, change);
      this.rosterComplete = !next;
      if (this.rosterComplete) this._finishResync(change);
      this._finishRosterChange(change, this.rosterComplete);
    }
  }

  // `identity`: the access token's subject, when the server knows one.
  _rosterJoin(participantId, name, fromSnapshot, change, identity = undefined) {
    if (participantId === this.localParticipantId) return null;
    this._confirmParticipant(participantId);
    let p = this.participants.get(participantId);
    if (p && typeof identity === 'string' && identity) p.identity = identity;
    if (p) {
      if (typeof name === 'string' && name && name !== p.name) {
        p.name = name;
        change.updated.push(participantId);
        this._emit('participantUpdated', { participantId, name });
      }
      return p;
    }
    p = {
      participantId, name: typeof name === 'string' ? name : '', identity: typeof identity === 'string' ? identity : '', handRaised: false, tracks: new Map(),
    };
    this.participants.set(participantId, p);
    change.joined.push(participantId);
    this._emit('participantJoined', { participantId, name: p.name, identity: p.identity, fromSnapshot });
    return p;
  }

  // A snapshot's track carries its mute state (none: unmuted); a batch's
  // `published` entry does not, so a known track keeps its state and a new
  // one starts unmuted until the batch's `muted` entries say otherwise.
  _rosterPublish(entry, fromSnapshot, change) {
    const { participantId, trackId, kind, source } = entry;
    if (participantId === this.localParticipantId || typeof trackId !== 'string') return;
    const p = this._rosterJoin(participantId, undefined, fromSnapshot, change);
    const known = p.tracks.get(trackId);
    const track = { trackId, kind, source: source || DEFAULT_SOURCE_BY_KIND[kind], ...(known ? pickMuteState(known) : UNMUTED) };
    p.tracks.set(trackId, track);
    this._tracksById.set(trackId, { participantId, kind, source: track.source });
    if (!known || known.kind !== track.kind || known.source !== track.source) {
      this._refusedTrackIds.delete(trackId);
      change.published.push(trackId);
      this._emit('trackPublished', { participantId, trackId, kind, source: track.source, fromSnapshot });
    }
    if (fromSnapshot) this._setRemoteMute(p, track, muteStateOf(entry), change);
  }

  // A roster `muted` entry: the track's state at the end of the batch. About
  // this client's own tracks too: the server's state is what its sender follows.
  _applyMuteEntry(entry, change) {
    const state = muteStateOf(entry);
    if (entry.participantId === this.localParticipantId) {
      if (this._newerOwnMute(entry.trackId, change.version)) this._setOwnMute(entry.trackId, state);
      return;
    }
    this._confirmParticipant(entry.participantId);
    const p = this.participants.get(entry.participantId);
    const track = p ? p.tracks.get(entry.trackId) : null;
    if (track) this._setRemoteMute(p, track, state, change); // an unknown one comes with its page
  }

  _setRemoteMute(participant, track, state, change) {
    if (sameMuteState(track, state)) return;
    Object.assign(track, pickMuteState(state));
    change.muted.push(track.trackId);
    this._emit('muteChanged', {
      participantId: participant.participantId, trackId: track.trackId, kind: track.kind, source: track.source,
      muted: state.muted, by: state.mutedBy, locked: state.locked, local: false,
    });
  }

  _setHand(participantId, raised, change) {
    if (participantId === this.localParticipantId) {
      // A host may have lowered it: there is no other message saying so.
      this._setOwnHand(raised);
      return;
    }
    const p = this.participants.get(participantId);
    if (!p || p.handRaised === raised) return;
    p.handRaised = raised;
    change.hands.push(participantId);
    this._emit('handChanged', { participantId, raised, local: false });
  }

  _setOwnHand(raised) {
    if (this.handRaised === raised) return;
    this.handRaised = raised;
    this._emit('handChanged', { participantId: this.localParticipantId, raised, local: true });
  }

  _rosterUnpublish(participantId, trackId, change) {
    const p = this.participants.get(participantId);
    // The server stops forwarding on every mid bound to the track: stop ours.
    this._unsubscribe(trackId);
    this._refusedTrackIds.delete(trackId);
    if (!p || !p.tracks.has(trackId)) return;
    const { kind } = p.tracks.get(trackId);
    p.tracks.delete(trackId);
    this._tracksById.delete(trackId);
    change.unpublished.push(trackId);
    this._emit('trackUnpublished', { participantId, trackId, kind });
  }

  _rosterLeave(participantId, change) {
    const p = this.participants.get(participantId);
    if (!p) return;
    // `left` implies every track of the participant is unpublished.
    for (const trackId of [...p.tracks.keys()]) this._rosterUnpublish(participantId, trackId, change);
    this.participants.delete(participantId);
    change.left.push(participantId);
    this._emit('participantLeft', { participantId, name: p.name });
  }

  // Tells the app, then lets the negotiation follow the new roster (stops of
  // unpublished tracks, tracks entering the automatic viewport). The app hears
  // `roster` first so a setViewport() from its handler joins the same offer.
  _finishRosterChange(change, completedNow) {
    const changed = change.joined.length || change.left.length || change.updated.length
      || change.published.length || change.unpublished.length || change.muted.length || change.hands.length;
    if (changed || completedNow) {
      this._emit('roster', {
        ...change, participantCount: this.participantCount, complete: this.rosterComplete,
      });
    }
    if (this.state !== 'joined') return;
    // The automatic viewport moves with the roster: a kept track may have
    // gone from prefetched to visible.
    if (changed && !this._manualViewport && this.autoSubscribe) this._refreshVideoLevels();
    this._requestNegotiationIfNeeded();
  }

  // --------------------------------------------------------------- speakers

  _setUpSlots(announced) {
    const count = Number.isInteger(announced) && announced > 0 ? announced : 0;
    this.audioSlotCount = count;
    this.speakers = Array.from({ length: count }, (_, slot) => ({ slot, participantId: null, trackId: null }));
    // A server without slots: receive audio track by track instead.
    if (this.audioMode === 'slots' && count === 0) this.audioMode = 'tracks';
  }

  _onSpeakers(msg) {
    if (this.state !== 'joined' || !Array.isArray(msg.slots)) return;
    const changed = [];
    for (const entry of msg.slots) {
      const slot = entry ? entry.slot : undefined;
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.audioSlotCount) continue;
      const participantId = typeof entry.participantId === 'string' ? entry.participantId : null;
      const trackId = typeof entry.trackId === 'string' ? entry.trackId : null;
      const previous = this.speakers[slot];
      if (previous.participantId !== participantId || previous.trackId !== trackId) changed.push(slot);
      this.speakers[slot] = { slot, participantId, trackId };
      const receiver = this.slots[slot];
      if (receiver) Object.assign(receiver, { participantId, trackId });
    }
    this._emit('speakers', {
      slots: this.speakers.map((s) => ({ ...s, name: this._nameOf(s.participantId) })),
      changed,
    });
  }

  _nameOf(participantId) {
    if (!participantId) return null;
    const p = this.participants.get(participantId);
    return p ? p.name : null;
  }

  _wantsSlots() {
    return this.audioMode === 'slots' && this.audioSlotCount > 0 && this.slots.length === 0;
  }

  // ------------------------------------------------------ conference control

  _trackIdArgument(trackId) {
    if (typeof trackId !== 'string' || !trackId) throw new TypeError(`a trackId (string) is needed, not ${trackId}`);
    return trackId;
  }

  _participantIdArgument(participantId) {
    if (typeof participantId !== 'string' || !participantId) {
      throw new TypeError(`a participantId (string) is needed, not ${participantId}`);
    }
    return participantId;
  }

  // A control request: resolves with the ack's room version, rejects with
  // the server's refusal.
  async _control(message) {
    this._assertJoined();
    const ack = await this._request(message);
    return typeof ack.version === 'number' ? ack.version : null;
  }

  // setMuted()'s target: a trackId as given (the server says `not_owner` if
  // it is not ours), or the own tracks of a kind: the microphones / cameras,
  // else every track of that kind (a screen share).
  _ownTrackIds(target) {
    if (target === 'audio' || target === 'video') {
      const ofKind = [...this.publications.values()].filter((p) => p.kind === target);
      const main = ofKind.filter((p) => p.source === DEFAULT_SOURCE_BY_KIND[target]);
      const chosen = main.length > 0 ? main : ofKind;
      if (chosen.length === 0) throw new MyriadError('unknown_track', `no ${target} track is published`);
      return chosen.map((p) => p.trackId);
    }
    return [this._trackIdArgument(target)];
  }

  async _setTrackMuted(trackId, muted) {
    const publication = this.publications.get(trackId);
    if (publication && muted) {
      publication._pendingMutes += 1;
      this._updateSender(publication);
    }
    try {
      const version = await this._control({ type: 'mute', trackId, muted });
      // In force now; the room hears it with the next batch. A track a host
      // muted stays muted by the host (docs/protocol.md "Conference control").
      const current = this._ownMuteState(trackId);
      this._setOwnMute(trackId, muted
        ? { muted: true, mutedBy: current.muted ? current.mutedBy : 'self', locked: current.locked }
        : UNMUTED);
      return version;
    } finally {
      if (publication && muted) {
        publication._pendingMutes -= 1;
        this._updateSender(publication);
      }
    }
  }

  _ownMuteState(trackId) {
    return this._ownMuteStates.get(trackId) || UNMUTED;
  }

  // The server's state of one of our tracks (from an ack, a `muted` message,
  // a roster entry or a sync): the sender follows it at once.
  _setOwnMute(trackId, state) {
    const before = this._ownMuteState(trackId);
    this._ownMuteStates.set(trackId, pickMuteState(state));
    const publication = this.publications.get(trackId);
    if (!publication) return; // its answer is still being applied: _applyAnswer() takes it from here
    Object.assign(publication, pickMuteState(state));
    this._updateSender(publication);
    if (!sameMuteState(before, state)) this._emitOwnMute(publication);
  }

  _emitOwnMute(publication) {
    this._emit('muteChanged', {
      participantId: this.localParticipantId, trackId: publication.trackId, kind: publication.kind, source: publication.source,
      muted: publication.muted, by: publication.mutedBy, locked: publication.locked, local: true,
    });
  }

  // Stops the sender of a muted track (or one being muted) and restarts it
  // when it is unmuted. replaceTrack(null) rather than `track.enabled =
  // false`: the MediaStreamTrack is the app's (its self-view and anything
  // else using it keep running), nothing at all is sent (a disabled track
  // still sends silence or black frames, which the server would only drop),
  // and no renegotiation is needed: mid, SSRC and simulcast encodings stay.
  // replaceTrack() is asynchronous, so the calls are chained and each one
  // applies the newest wanted state.
  _updateSender(publication) {
    const stop = publication.muted || publication._pendingMutes > 0;
    if (publication._senderStopped === stop) return;
    publication._senderStopped = stop;
    const { sender } = publication.transceiver;
    publication._senderUpdate = publication._senderUpdate.then(() => {
      if (isStopped(publication.transceiver)) return undefined;
      const wanted = publication._senderStopped ? null : publication.track;
      return sender.track === wanted ? undefined : sender.replaceTrack(wanted);
    }).catch((err) => {
      console.warn(`myriad: could not ${publication._senderStopped ? 'stop' : 'restart'} the sender of ${publication.trackId}`, err);
    });
  }

  // A host changed one of our tracks: stop the sender now and tell the app.
  _onMuted(msg) {
    if (this.state !== 'joined' || typeof msg.trackId !== 'string') return;
    if (!this._newerOwnMute(msg.trackId, msg.version)) return; // stale: took the other path
    this._setOwnMute(msg.trackId, muteStateOf(msg));
  }

  // Whether a state of our own track at room version `version` is not older
  // than the one applied (a `muted` message and a roster entry may arrive by
  // different paths, WebSocket and data channel, in either order).
  _newerOwnMute(trackId, version) {
    if (typeof version !== 'number') return true;
    if (!this._ownMuteVersions) this._ownMuteVersions = new Map();
    if ((this._ownMuteVersions.get(trackId) || 0) > version) return false;
    this._ownMuteVersions.set(trackId, version);
    return true;
  }

  _onUnmuteRequest(msg) {
    if (this.state !== 'joined' || typeof msg.trackId !== 'string') return;
    const publication = this.publications.get(msg.trackId);
    const participantId = typeof msg.participantId === 'string' ? msg.participantId : null;
    this._emit('unmuteRequested', {
      trackId: msg.trackId, participantId, name: this._nameOf(participantId),
      kind: publication ? publication.kind : undefined, source: publication ? publication.source : undefined,
    });
  }

  // --------------------------------------------------------------- receiving

  // Every track that should have a recvonly transceiver now.
  _wantedTrackIds() {
    const wanted = new Set();
    const add = (trackId, kind) => {
      const t = this._tracksById.get(trackId);
      if (!t || (kind && t.kind !== kind) || this._refusedTrackIds.has(trackId)) return;
      if (t.kind !== 'audio' && t.kind !== 'video') return;
      wanted.add(trackId);
    };
    for (const trackId of this._pinned) add(trackId);
    if (this.autoSubscribe && this.audioMode === 'tracks') {
      for (const [trackId, t] of this._tracksById) if (t.kind === 'audio') add(trackId);
    }
    const { visible, prefetch } = this.viewport;
    for (const trackId of visible) add(trackId, 'video');
    for (const trackId of prefetch) add(trackId, 'video');
    return wanted;
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
    this._releaseAudio(sub);
    if (announce && sub.announced) {
      this._emit('trackUnsubscribed', {
        participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track, stream: sub.stream,
      });
    }
  }

  _playAudio(holder, track) {
    if (!this.playAudio || typeof Audio === 'undefined') return;
    const element = new Audio();
    element.autoplay = true;
    element.srcObject = new MediaStream([track]);
    holder.element = element;
    const started = element.play();
    if (started && started.catch) {
      started.catch(() => {
        if (holder.element !== element) return;
        this._blockedAudio.add(element);
        this._emit('audioBlocked', { track });
      });
    }
  }

  _releaseAudio(holder) {
    const element = holder.element;
    if (!element) return;
    holder.element = null;
    this._blockedAudio.delete(element);
    element.pause();
    element.srcObject = null;
  }

  // ------------------------------------------------------------ video levels

  _videoView(trackId) {
    let view = this._videoViews.get(trackId);
    if (!view) {
      view = { elements: new Map(), explicitLevel: null };
      this._videoViews.set(trackId, view);
    }
    return view;
  }

  _isElementAttached(element) {
    for (const view of this._videoViews.values()) if (view.elements.has(element)) return true;
    return false;
  }

  // One observer for every attached element; none outside a page.
  _observer() {
    if (this._resizeObserver) return this._resizeObserver;
    if (typeof ResizeObserver === 'undefined') return null;
    this._resizeObserver = new ResizeObserver((entries) => {
      const touched = new Set();
      for (const entry of entries) {
        for (const [trackId, view] of this._videoViews) {
          if (!view.elements.has(entry.target)) continue;
          view.elements.set(entry.target, entry.contentRect.height);
          touched.add(trackId);
        }
      }
      for (const trackId of touched) this._refreshVideoLevels(trackId);
    });
    return this._resizeObserver;
  }

  _levelsEnabled() {
    return this.videoLevels.length > 0 && this._videoLevelsSupported;
  }

  _topVideoLevel() {
    const top = this.videoLevels.length - 1;
    return this.maxVideoLevel === null ? top : Math.min(top, this.maxVideoLevel);
  }

  // What this client wants for `trackId`: the explicit level, else the
  // tallest attached element's; without either, the device class's top
  // level for a visible (or pinned) track and the smallest level for one
  // that is only prefetched (it is not on screen; the page flip that shows
  // it attaches its tile, which asks for more).
  // `viewport` may be passed in by callers that ask for many tracks at once.
  _wantedVideoLevel(trackId, viewport = null) {
    if (!this._levelsEnabled()) return null;
    const top = this._topVideoLevel();
    const view = this._videoViews.get(trackId);
    if (view && view.explicitLevel !== null) return Math.min(view.explicitLevel, top);
    if (view && view.elements.size > 0) {
      const cssHeight = Math.max(...view.elements.values());
      const ratio = globalThis.devicePixelRatio || 1;
      return levelForHeight(this.videoLevels, cssHeight * ratio, top);
    }
    const { visible, prefetch } = viewport || this.viewport;
    if (!this._pinned.has(trackId) && !visible.includes(trackId) && prefetch.includes(trackId)) return 0;
    return top;
  }

  // Sends `setVideoLevel` for every bound video subscription (of `trackId`,
  // or all) whose wanted level differs from the one the server has. A
  // subscription whose offer is still in flight is left alone: its answer
  // calls this again, so the server never hears of a mid before it is bound.
  _refreshVideoLevels(trackId) {
    if (!this._levelsEnabled() || this.state !== 'joined') return;
    let viewport = null;
    for (const sub of this._subscriptions.values()) {
      if (sub.kind !== 'video' || !sub.bound || (trackId !== undefined && sub.trackId !== trackId)) continue;
      viewport = viewport || this.viewport;
      const level = this._wantedVideoLevel(sub.trackId, viewport);
      if (level === null || level === sub.level) continue;
      sub.level = level;
      this._sendVideoLevel(sub, level);
    }
  }

  _sendVideoLevel(sub, level) {
    const now = Date.now();
    for (const [id, request] of this._levelRequests) {
      if (now - request.sentAt > LEVEL_REQUEST_MEMORY_MS) this._levelRequests.delete(id);
    }
    const id = this._nextRequestId++;
    try {
      this._send({ type: 'setVideoLevel', id, mid: sub.mid, level });
    } catch (err) {
      return; // the socket is gone; the teardown follows
    }
    this._levelRequests.set(id, { mid: sub.mid, trackId: sub.trackId, level, sentAt: now });
    this._emit('videoLevel', { trackId: sub.trackId, mid: sub.mid, level, height: this.videoLevels[level] });
  }

  // `setVideoLevel` has no reply unless it fails.
  _onVideoLevelError(msg) {
    const request = this._levelRequests.get(msg.id);
    this._levelRequests.delete(msg.id);
    if (msg.code === 'unknown_type') {
      // A server without simulcast levels: stop asking.
      this._videoLevelsSupported = false;
      console.warn('myriad: the server does not take setVideoLevel; video levels are off');
      return;
    }
    const stillBound = [...this._subscriptions.values()].some((s) => s.mid === request.mid && s.trackId === request.trackId);
    if (msg.code === 'unknown_mid' && !stillBound) return; // unsubscribed meanwhile: nothing to fix
    console.warn(`myriad: setVideoLevel ${request.level} on mid ${request.mid} failed: ${msg.code} ${msg.message || ''}`);
    this._emit('error', { code: msg.code, message: msg.message, mid: request.mid, trackId: request.trackId });
  }

  // -------------------------------------------------------------- tier plans

  // A `tierPlan` for one of our simulcast mids: only the newest version is
  // applied, and plans are applied one at a time (two setParameters() calls
  // in flight would race on the sender's transaction id).
  _onTierPlan(msg) {
    if (this.state !== 'joined' || typeof msg.mid !== 'string' || !Array.isArray(msg.encodings)) return;
    const version = Number.isFinite(msg.version) ? msg.version : null;
    const last = this._tierPlanVersions.get(msg.mid);
    if (version !== null && last !== undefined && last !== null && version <= last) return;
    this._tierPlanVersions.set(msg.mid, version);
    this._pendingTierPlans.set(msg.mid, { mid: msg.mid, version, encodings: msg.encodings });
    this._applyTierPlans();
  }

  _publicationByMid(mid) {
    for (const publication of this.publications.values()) if (publication.mid === mid) return publication;
    return null;
  }

  // Drains the pending plans. A plan for a mid whose answer is not applied
  // yet waits: _applyAnswer() calls this again once the publication exists.
  async _applyTierPlans() {
    if (this._applyingTierPlans) return;
    this._applyingTierPlans = true;
    try {
      while (this.state === 'joined') {
        let next = null;
        for (const plan of this._pendingTierPlans.values()) {
          const publication = this._publicationByMid(plan.mid);
          if (publication) {
            next = { plan, publication };
            break;
          }
        }
        if (!next) break;
        this._pendingTierPlans.delete(next.plan.mid);
        await this._applyTierPlan(next.publication, next.plan);
      }
    } finally {
      this._applyingTierPlans = false;
    }
  }

  async _applyTierPlan(publication, plan) {
    const { sender } = publication.transceiver;
    let error = null;
    // A renegotiation between getParameters() and setParameters() changes the
    // transaction id (InvalidModificationError): read the parameters again once.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const parameters = sender.getParameters();
      const encodings = parameters.encodings || [];
      encodings.forEach((encoding, index) => {
        const wanted = plan.encodings.find((e) => e && e.rid !== undefined && e.rid === encoding.rid)
          || (encoding.rid === undefined ? plan.encodings[index] : undefined);
        if (!wanted) return; // a rid the plan does not name keeps its settings
        if (wanted.active === false) {
          encoding.active = false;
          return;
        }
        encoding.active = true;
        if (Number.isFinite(wanted.scaleResolutionDownBy)) encoding.scaleResolutionDownBy = Math.max(1, wanted.scaleResolutionDownBy);
        if (Number.isFinite(wanted.maxBitrate) && wanted.maxBitrate > 0) encoding.maxBitrate = Math.round(wanted.maxBitrate);
        if (Number.isFinite(wanted.maxFramerate) && wanted.maxFramerate > 0) encoding.maxFramerate = wanted.maxFramerate;
      });
      try {
        await sender.setParameters(parameters);
        error = null;
        break;
      } catch (err) {
        error = err;
        if (!err || err.name !== 'InvalidModificationError') break;
      }
    }
    if (error) console.warn(`myriad: tier plan ${plan.version} for mid ${plan.mid} not applied`, error);
    publication.tierPlan = {
      version: plan.version, encodings: plan.encodings, applied: !error, error: error ? String(error.message || error) : null,
    };
    this._emit('tierPlan', { mid: plan.mid, trackId: publication.trackId, ...publication.tierPlan });
  }

  // ------------------------------------------------------------ negotiation

  _createPeerConnection() {
    // No iceServers: the server is ICE-lite with a host candidate, and the
    // browser only has to send connectivity checks to it.
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers: [] });
    this.pc = pc;
    // A moved client's old connection says nothing more (move()).
    pc.addEventListener('track', (event) => {
      if (this.pc === pc) this._onRemoteTrack(event);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.pc !== pc) return;
      this._emit('connectionStateChange', { state: pc.connectionState, iceConnectionState: pc.iceConnectionState });
    });
    if (this.controlChannelEnabled) this._openControlChannel(pc);
  }

  _onRemoteTrack(event) {
    const slot = this.slots.find((s) => s.transceiver === event.transceiver);
    if (slot) {
      if (slot.track) return; // ontrack again for a re-negotiated m-line
      slot.track = event.track;
      slot.stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
      this._playAudio(slot, event.track);
      this._emit('slotTrack', { slot: slot.slot, mid: slot.mid, track: slot.track, stream: slot.stream });
      return;
    }
    const sub = this._subscriptions.get(event.transceiver);
    if (!sub || sub.announced) return; // not ours, or ontrack fired again for a re-negotiated m-line
    sub.announced = true;
    sub.track = event.track;
    sub.stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
    if (sub.kind === 'audio') this._playAudio(sub, event.track);
    this._emit('trackSubscribed', {
      participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track: sub.track, stream: sub.stream, mid: sub.mid,
    });
  }

  _hasPendingChanges() {
    if (this._pendingPublishes.length > 0 || this._stopsToNegotiate || this._wantsSlots() || this._channelToNegotiate) return true;
    const wanted = this._wantedTrackIds();
    let bound = 0;
    for (const sub of this._subscriptions.values()) {
      if (!wanted.has(sub.trackId)) return true;
      bound += 1;
    }
    return bound !== wanted.size;
  }

  _requestNegotiationIfNeeded() {
    if (this._nextRun) return; // the queued run will see every change
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
    let hadStops = this._stopsToNegotiate;
    this._stopsToNegotiate = false;
    const channelToNegotiate = this._channelToNegotiate;
    this._channelToNegotiate = false;

    // Receive side: stop what is no longer wanted (viewport moved, pin
    // released), then add what is missing.
    const wanted = this._wantedTrackIds();
    for (const [transceiver, sub] of [...this._subscriptions]) {
      if (wanted.has(sub.trackId)) continue;
      this._subscriptions.delete(transceiver);
      this._stopReceiving(transceiver, sub, true);
      hadStops = true;
    }

    // Slots first: in the first offer they become the lowest mids, so a
    // publication the server refuses is never the BUNDLE tag.
    const newSlots = [];
    if (this._wantsSlots()) {
      for (let slot = 0; slot < this.audioSlotCount; slot += 1) {
        const transceiver = pc.addTransceiver('audio', { direction: 'recvonly' });
        const receiver = {
          slot, mid: null, transceiver, track: null, stream: null, element: null,
          participantId: this.speakers[slot].participantId, trackId: this.speakers[slot].trackId, rejected: false,
        };
        this.slots.push(receiver);
        newSlots.push(receiver);
      }
    }

    const bound = new Set([...this._subscriptions.values()].map((s) => s.trackId));
    const newSubscriptions = [];
    for (const trackId of wanted) {
      if (bound.has(trackId)) continue;
      const { participantId, kind } = this._tracksById.get(trackId);
      const transceiver = pc.addTransceiver(kind, { direction: 'recvonly' });
      // level: what the server was told this subscription wants (in the
      // subscribe entry, then setVideoLevel); bound: the answer accepted it.
      const sub = {
        trackId, participantId, kind, mid: null, announced: false, track: null, stream: null, element: null,
        level: null, bound: false,
      };
      this._subscriptions.set(transceiver, sub);
      newSubscriptions.push({ transceiver, sub });
    }

    const newPublications = publishes.map((pub) => {
      const init = { direction: 'sendonly', streams: [pub.stream] };
      if (pub.simulcast) init.sendEncodings = SIMULCAST_ENCODINGS.map((encoding) => ({ ...encoding }));
      // A track published muted is not handed to the sender at all: nothing
      // can be sent before the server has it muted (publish({muted})).
      const transceiver = pc.addTransceiver(pub.startMuted ? pub.track.kind : pub.track, init);
      if (pub.track.kind === 'video') preferCodec(transceiver, pub.videoCodec);
      return { ...pub, transceiver };
    });

    if (newPublications.length === 0 && newSubscriptions.length === 0 && newSlots.length === 0 && !hadStops
      && !channelToNegotiate) return;

    let offerSent = false;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);

      // Mids exist only now, after setLocalDescription.
      const publish = {};
      for (const pub of newPublications) {
        // Kept: a transceiver the answer rejects is stopped and loses its mid.
        pub.mid = pub.transceiver.mid;
        publish[pub.mid] = this._publishEntry(pub);
      }
      const slots = {};
      for (const receiver of newSlots) {
        receiver.mid = receiver.transceiver.mid;
        slots[receiver.mid] = receiver.slot;
      }
      const subscribe = {};
      const viewport = this.viewport;
      for (const { transceiver, sub } of newSubscriptions) {
        sub.mid = transceiver.mid;
        // The track may have been unpublished while the offer was built.
        if (!this._subscriptions.has(transceiver)) continue;
        const level = sub.kind === 'video' ? this._wantedVideoLevel(sub.trackId, viewport) : null;
        sub.level = level;
        subscribe[transceiver.mid] = level === null ? sub.trackId : { trackId: sub.trackId, level };
      }

      const message = { type: 'offer', sdp: pc.localDescription.sdp };
      if (Object.keys(publish).length) message.publish = publish;
      if (Object.keys(slots).length) message.slots = slots;
      if (Object.keys(subscribe).length) message.subscribe = subscribe;
      offerSent = true;
      const answer = await this._request(message);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      // An answer that refused the data channel (port 0, or a server without
      // one) leaves no SCTP transport: control stays on the WebSocket.
      if (channelToNegotiate && this._channel && 'sctp' in pc && !pc.sctp) {
        console.warn('myriad: the server refused the control data channel, control stays on the WebSocket');
        this._closeControlChannel();
      }
      this._applyAnswer(answer, newPublications, newSlots, newSubscriptions);
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
      for (const receiver of newSlots) {
        try { receiver.transceiver.stop(); } catch (e) { /* closed */ }
        this._releaseAudio(receiver);
      }
      // The next negotiation adds the slots again.
      this.slots = this.slots.filter((s) => !newSlots.includes(s));
      for (const { transceiver, sub } of newSubscriptions) {
        if (!this._subscriptions.has(transceiver)) continue;
        this._subscriptions.delete(transceiver);
        this._stopReceiving(transceiver, sub, false);
      }
      // Stops made before this offer were not negotiated: carry them over.
      if (hadStops) this._stopsToNegotiate = true;
      if (channelToNegotiate) this._channelToNegotiate = true;
      if (this.state === 'joined') {
        const code = err && err.code ? err.code : (offerSent ? 'bad_answer' : 'offer_failed');
        this._emit('error', { code, message: err && err.message ? err.message : String(err) });
      }
      return;
    }

    // Changes that arrived while this offer was in flight already queued a
    // new run via _requestNegotiation(); refusals above may need one more.
    if (this._stopsToNegotiate) this._requestNegotiation();
  }

  // Resolves the publications, and stops what the server refused: `rejected`
  // mids (port 0 or a=inactive) and `warnings` (limits, e.g. publisher_limit).
  // A refused m-line never fails the offer; the next offer carries its stop.
  _applyAnswer(answer, newPublications, newSlots, newSubscriptions) {
    const rejected = new Set((answer.rejected || []).map(String));
    const warnings = new Map();
    for (const warning of answer.warnings || []) {
      if (warning && warning.mid !== undefined) warnings.set(String(warning.mid), warning);
    }
    const tracks = answer.tracks || {};
    const retire = (transceiver) => {
      if (isStopped(transceiver)) return;
      try { transceiver.stop(); } catch (e) { /* closed */ }
      this._stopsToNegotiate = true;
    };

    for (const pub of newPublications) {
      const { mid } = pub;
      const trackId = tracks[mid];
      const warning = warnings.get(mid);
      if (warning || rejected.has(mid) || !trackId) {
        // The local track is the app's: stopping the transceiver leaves it live.
        retire(pub.transceiver);
        const code = warning && warning.code ? warning.code : 'rejected';
        const message = warning && warning.message ? warning.message : `the server rejected publishing ${pub.track.kind} on mid ${mid}`;
        if (warning) this._emit('error', { code, message, mid, kind: pub.track.kind, source: pub.source });
        pub.reject(new MyriadError(code, message));
        continue;
      }
      const publication = {
        trackId,
        mid,
        kind: pub.track.kind,
        source: pub.source,
        track: pub.track,
        transceiver: pub.transceiver,
        simulcast: pub.simulcast ? SIMULCAST_ENCODINGS.map((e) => e.rid) : null,
        tierPlan: null,
        // The server's mute state, and the sender following it (_updateSender).
        ...this._ownMuteState(trackId),
        _pendingMutes: pub.startMuted ? 1 : 0,
        _senderStopped: pub.startMuted === true,
        _senderUpdate: Promise.resolve(),
        // What move() needs to publish it again elsewhere.
        _publishOptions: { priority: pub.priority, simulcast: pub.simulcast, videoCodec: pub.videoCodec },
      };
      this.publications.set(trackId, publication);
      // A host's `muted` that overtook this answer.
      if (publication.muted) {
        this._updateSender(publication);
        this._emitOwnMute(publication);
      }
      pub.resolve(publication);
    }
    // Plans that arrived before this answer was applied.
    if (this._pendingTierPlans.size > 0) this._applyTierPlans();

    for (const receiver of newSlots) {
      if (!rejected.has(receiver.mid) && !warnings.has(receiver.mid)) continue;
      receiver.rejected = true;
      retire(receiver.transceiver);
      this._releaseAudio(receiver);
      this._emit('error', { code: 'slot_rejected', message: `the server rejected audio slot ${receiver.slot} on mid ${receiver.mid}`, slot: receiver.slot });
    }

    for (const { transceiver, sub } of newSubscriptions) {
      if (!this._subscriptions.has(transceiver)) continue;
      if (!rejected.has(sub.mid) && !warnings.has(sub.mid)) continue;
      this._subscriptions.delete(transceiver);
      this._stopReceiving(transceiver, sub, true);
      this._stopsToNegotiate = true;
      // Gone by the time the offer arrived; the roster batch saying so follows.
      this._refusedTrackIds.add(sub.trackId);
      this._emit('subscriptionRejected', { trackId: sub.trackId, mid: sub.mid });
    }
    for (const { transceiver, sub } of newSubscriptions) {
      if (this._subscriptions.has(transceiver)) sub.bound = true;
    }
    // Levels that changed while the offer was in flight.
    this._refreshVideoLevels();
  }

  // The `publish` entry of a new sendonly m-line (docs/protocol.md `offer`).
  _publishEntry(pub) {
    const entry = { source: pub.source };
    if (pub.priority) entry.priority = true;
    if (pub.track.kind === 'video') {
      if (pub.simulcast) entry.tiers = SIMULCAST_ENCODINGS.length;
      const settings = typeof pub.track.getSettings === 'function' ? pub.track.getSettings() : {};
      if (Number.isInteger(settings.width) && Number.isInteger(settings.height) && settings.width > 0 && settings.height > 0) {
        entry.width = settings.width;
        entry.height = settings.height;
      }
    }
    return entry;
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
    for (const pending of [...this._pendingRequests.values()]) pending.reject(err);
    this._pendingRequests.clear();
    this._rejectPendingPublishes(err);
    this._closeControlChannel();

    for (const [transceiver, sub] of [...this._subscriptions]) {
      this._subscriptions.delete(transceiver);
      const track = transceiver.receiver.track;
      if (track && track.readyState !== 'ended') track.stop();
      this._releaseAudio(sub);
      if (sub.announced) {
        this._emit('trackUnsubscribed', { participantId: sub.participantId, trackId: sub.trackId, kind: sub.kind, track, stream: sub.stream });
      }
    }
    for (const receiver of this.slots) {
      this._releaseAudio(receiver);
      if (receiver.track && receiver.track.readyState !== 'ended') receiver.track.stop();
    }
    if (this.pc) {
      this.pc.close();
      this._emit('connectionStateChange', { state: 'closed', iceConnectionState: 'closed' });
    }
    this.publications.clear();
    this._ownMuteStates.clear();
    this.handRaised = false;
    this._resync = null;
    this._pendingTierPlans.clear();
    this._tierPlanVersions.clear();
    this._levelRequests.clear();
    if (this._resizeObserver) this._resizeObserver.disconnect();
    this._resizeObserver = null;
    this._videoViews.clear();
    this.participants.clear();
    this._tracksById.clear();
    this._pinned.clear();
    this._refusedTrackIds.clear();
    this._blockedAudio.clear();
    if (emit) this._emit('disconnected', { reason, message: detailMessage, wasJoined });
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export default MyriadClient;
