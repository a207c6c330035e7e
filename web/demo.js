// Myriad demo page: join a room, publish camera + microphone, see the room in
// pages of up to 7x7 tiles and hear its loudest speakers through the audio
// slots. Only the tiles on the current page receive video; the next page is
// prefetched so paging forward is instant. Every tile is attached to the SDK
// (attachVideo), so the size the grid gives it picks the video level it asks
// for; a small overlay shows the resolution it really receives.
//
// Conference control: the toolbar mutes your microphone and camera and raises
// your hand; every tile shows its participant's muted microphone and raised
// hand. With a host's token (one with the `admin` grant), every tile has host
// buttons: mute, mute and lock, ask to unmute, lower the hand, remove. A
// host's request to unmute you shows a prompt; you decide.
//
// URL parameters (the browser end-to-end tests use them and read
// window.myriad and window.demoState):
//   room, name     fill the form; autojoin=1 joins without a click
//   pageSize=N     tiles per page, 1..49 (default 49)
//   prefetch=0     do not pre-subscribe the next page
//   publish=both|audio|video|none   what to publish (default both)
//   priority=1     publish the microphone with priority (always in a slot)
//   audio=slots|tracks              the SDK's audio mode (default slots)
//   codec=vp8|h264 the codec of the published camera (default vp8)
//   simulcast=0    publish the camera as one encoding instead of three
//   maxVideoLevel=N  the device class's largest video level (ladder index)
//   tileHeight=N   tiles N CSS pixels tall (16:9, wrapping rows) instead of
//                  the square grid; window.demoSetTileHeight(N) changes it
//   token=JWT      the access token to join with (`myriad token`); one with
//                  the `admin` grant shows the host buttons

import { MAX_VISIBLE_VIDEO, MyriadClient } from './myriad.js';

const form = document.getElementById('join-form');
const roomInput = document.getElementById('room');
const nameInput = document.getElementById('name');
const joinButton = document.getElementById('join-button');
const statusLine = document.getElementById('status');
const stage = document.getElementById('stage');
const tilesEl = document.getElementById('tiles');
const selfView = document.getElementById('self-view');
const selfVideo = document.getElementById('self-video');
const speakersEl = document.getElementById('speakers');
const pagerLabel = document.getElementById('page-label');
const prevButton = document.getElementById('page-prev');
const nextButton = document.getElementById('page-next');
const countLabel = document.getElementById('participant-count');
const audioUnlock = document.getElementById('audio-unlock');
const muteAudioButton = document.getElementById('mute-audio');
const muteVideoButton = document.getElementById('mute-video');
const handButton = document.getElementById('hand-button');
const hostBadge = document.getElementById('host-badge');
const unmuteRequestEl = document.getElementById('unmute-request');
const unmuteRequestText = document.getElementById('unmute-request-text');
const unmuteAcceptButton = document.getElementById('unmute-accept');
const unmuteDismissButton = document.getElementById('unmute-dismiss');

const params = new URLSearchParams(location.search);
const pageSize = Math.max(1, Math.min(MAX_VISIBLE_VIDEO, Number.parseInt(params.get('pageSize'), 10) || MAX_VISIBLE_VIDEO));
const prefetchEnabled = params.get('prefetch') !== '0';
const publishWhat = ['both', 'audio', 'video', 'none'].includes(params.get('publish')) ? params.get('publish') : 'both';
const audioMode = params.get('audio') === 'tracks' ? 'tracks' : 'slots';
const audioPriority = params.get('priority') === '1';
const videoCodec = params.get('codec') === 'h264' ? 'h264' : 'vp8';
const simulcast = params.get('simulcast') !== '0';
// ?controlChannel=0: conference control on the WebSocket only (no data channel).
const controlChannel = params.get('controlChannel') !== '0';
const maxVideoLevelParam = Number.parseInt(params.get('maxVideoLevel'), 10);
const maxVideoLevel = Number.isInteger(maxVideoLevelParam) && maxVideoLevelParam >= 0 ? maxVideoLevelParam : null;
const tileHeightParam = Number.parseInt(params.get('tileHeight'), 10);
const token = params.get('token') || null;

// Whether the token grants `admin`, read from its payload only to decide
// which buttons to show: the server checks the signature and every action.
function tokenGrantsAdmin(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
    return !!(claims && claims.grants && claims.grants.admin === true);
  } catch (err) {
    return false;
  }
}
const isHost = token ? tokenGrantsAdmin(token) : false;

// How often the tiles' received resolution is read from getStats().
const STATS_INTERVAL_MS = 1000;

/**
 * Everything a test might want to look at. `remoteTracks` is keyed by trackId
 * (video subscriptions, and audio ones in audio=tracks mode); `slots` by slot
 * index; `events` is the SDK's event log in arrival order.
 */
const demoState = {
  phase: 'idle', // idle | joining | joined | leaving
  room: null,
  name: null,
  participantId: null,
  connectionState: 'new',
  localStream: null,
  publications: [],
  listenOnly: false, // the server refused to let this participant publish
  participants: {}, // participantId -> {name}
  participantCount: 0, // everyone in the room, this page included
  remoteTracks: {}, // trackId -> {participantId, kind, track, stream, subscribed, ended}
  slots: [], // slot -> {slot, track, participantId, trackId}
  speakers: [], // slot -> {slot, participantId, trackId, name}
  page: 0,
  pageCount: 1,
  pageSize,
  pageParticipantIds: [], // the tiles on the current page, in order
  viewport: { visible: [], prefetch: [] },
  videoLevels: [], // the server's ladder (heights), from `joined`
  tileHeight: null, // fixed tile height in CSS pixels, or null for the grid
  received: {}, // trackId -> {width, height, framesDecoded} from the last getStats()
  tierPlans: [], // this page's published tracks: every plan handled, in order
  isHost, // the token grants `admin`: the tiles have host buttons
  // Every conference control action this page sent, in order: {action,
  // target, sentAt, settledAt, version (ack) or error (code)}; times are Date.now().
  controlLog: [],
  unmuteRequest: null, // the host's pending request {trackId, participantId, name, time}
  events: [],
  errors: [],
  moves: 0, // completed moves to another server (the old one drained)
};
window.demoState = demoState;
window.myriad = null;

// participantId -> {root, video, placeholder, nameText, resolution, mutedIndicator, hostControls,
//   videoTrackId, attachedTrackId, detach}
const tiles = new Map();

// What a host can do from a participant's tile: [action, label, tooltip].
const HOST_ACTIONS = [
  ['mute', 'Mute', 'Mute their microphone'],
  ['lock', 'Mute + lock', 'Mute their microphone; they cannot unmute it until you ask them to'],
  ['askUnmute', 'Ask to unmute', 'Ask them to unmute their microphone'],
  ['lowerHand', 'Lower hand', 'Lower their raised hand'],
  ['kick', 'Remove', 'Remove them from the room'],
];

// Own toolbar buttons whose request is in flight ('audio', 'video', 'hand').
const pendingOwnControls = new Set();

function setStatus(text, state = '') {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function describeConnection() {
  if (demoState.phase !== 'joined') return;
  const pcState = demoState.connectionState;
  const mode = demoState.listenOnly ? ' · listening only (publisher limit)' : '';
  setStatus(`In room “${demoState.room}” as ${demoState.name} · media ${pcState}${mode}`,
    pcState === 'connected' ? 'connected' : pcState === 'failed' ? 'error' : '');
}

function setFormMode(mode) {
  const inRoom = mode !== 'idle';
  roomInput.disabled = inRoom;
  nameInput.disabled = inRoom;
  joinButton.textContent = inRoom ? 'Leave' : 'Join';
  joinButton.classList.toggle('leave', inRoom);
  joinButton.disabled = mode === 'joining' || mode === 'leaving';
  stage.hidden = !inRoom;
}

function playSafely(media) {
  const result = media.play();
  if (result && result.catch) result.catch(() => {});
}

// ----------------------------------------------------------------- tiles

function initials(name) {
  const letters = (name || '').trim().split(/\s+/).map((w) => w[0] || '').join('').slice(0, 2);
  return letters.toUpperCase() || '?';
}

function createTile(participantId, name) {
  const root = document.createElement('figure');
  root.className = 'tile';
  root.dataset.participantId = participantId;

  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // audio plays through the SDK's slot players
  root.appendChild(video);

  const placeholder = document.createElement('div');
  placeholder.className = 'placeholder';
  placeholder.textContent = initials(name);
  root.appendChild(placeholder);

  const label = document.createElement('figcaption');
  label.className = 'label';
  const nameText = document.createElement('span');
  nameText.textContent = name;
  const speaking = document.createElement('span');
  speaking.className = 'speaking-indicator';
  speaking.textContent = '\u266A'; // a music note: every system font has one
  speaking.title = 'in an audio slot';
  const mutedIndicator = document.createElement('span');
  mutedIndicator.className = 'muted-indicator';
  mutedIndicator.textContent = 'muted';
  const hand = document.createElement('span');
  hand.className = 'hand-indicator';
  hand.textContent = 'hand up'; // words: the raised-hand emoji is missing from many system fonts
  hand.title = 'hand raised';
  label.append(nameText, speaking, mutedIndicator, hand);
  root.appendChild(label);

  let hostControls = null;
  if (isHost) {
    hostControls = document.createElement('div');
    hostControls.className = 'host-controls';
    hostControls.setAttribute('role', 'group');
    hostControls.setAttribute('aria-label', 'Host controls');
    for (const [action, text, title] of HOST_ACTIONS) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.action = action;
      button.textContent = text;
      button.title = title;
      button.addEventListener('click', () => hostAction(participantId, action));
      hostControls.appendChild(button);
    }
    root.appendChild(hostControls);
  }

  // What arrives (from getStats), e.g. "640×360"; empty without video.
  const resolution = document.createElement('span');
  resolution.className = 'resolution';
  root.appendChild(resolution);

  const tile = {
    root, video, placeholder, nameText, resolution, mutedIndicator, hostControls,
    videoTrackId: null, attachedTrackId: null, detach: null,
  };
  tiles.set(participantId, tile);
  return tile;
}

function removeTile(participantId) {
  const tile = tiles.get(participantId);
  if (!tile) return;
  attachTile(tile, null);
  tile.video.srcObject = null;
  tile.root.remove();
  tiles.delete(participantId);
}

// The one video track a participant's tile shows: the camera, else any video.
function tileVideoTrackId(participant) {
  let fallback = null;
  for (const t of participant.tracks.values()) {
    if (t.kind !== 'video') continue;
    if (t.source === 'camera') return t.trackId;
    fallback = fallback || t.trackId;
  }
  return fallback;
}

// The SDK sizes the track's level from the tile (its content box is the
// picture: the <video> fills it). Attached as soon as the tile knows its
// track, before the subscription, so the first request already has the
// tile's level.
function attachTile(tile, trackId) {
  if (tile.attachedTrackId === trackId) return;
  if (tile.detach) tile.detach();
  tile.detach = null;
  tile.attachedTrackId = trackId;
  if (trackId && window.myriad) tile.detach = window.myriad.attachVideo(trackId, tile.root);
}

function showVideo(tile, trackId) {
  const entry = trackId ? demoState.remoteTracks[trackId] : null;
  const live = entry && entry.subscribed && entry.track.readyState === 'live' ? entry : null;
  if (live) {
    if (tile.videoTrackId !== trackId) {
      tile.video.srcObject = new MediaStream([live.track]);
      tile.videoTrackId = trackId;
      playSafely(tile.video);
    }
    tile.root.classList.add('has-video');
  } else {
    if (tile.videoTrackId) tile.video.srcObject = null;
    tile.videoTrackId = null;
    tile.root.classList.remove('has-video');
  }
}

// A participant's microphone: the first audio track from a microphone, else any audio track.
function microphoneOf(participant) {
  let fallback = null;
  for (const t of participant.tracks.values()) {
    if (t.kind !== 'audio') continue;
    if (t.source === 'microphone') return t;
    fallback = fallback || t;
  }
  return fallback;
}

// The tile's muted microphone, muted camera (its last frame would freeze:
// the initials show instead), raised hand and the host buttons that apply.
function renderTileState(tile, participant) {
  const mic = microphoneOf(participant);
  const micMuted = !!(mic && mic.muted);
  const cameraId = tileVideoTrackId(participant);
  const camera = cameraId ? participant.tracks.get(cameraId) : null;
  tile.root.classList.toggle('mic-muted', micMuted);
  tile.root.classList.toggle('camera-muted', !!(camera && camera.muted));
  tile.root.classList.toggle('hand-raised', participant.handRaised === true);
  tile.mutedIndicator.textContent = micMuted && mic.locked ? 'muted \u00b7 locked' : 'muted';
  tile.mutedIndicator.title = micMuted ? `microphone muted${mic.mutedBy === 'host' ? ' by a host' : ''}` : '';
  if (!tile.hostControls) return;
  for (const button of tile.hostControls.children) {
    const { action } = button.dataset;
    if (action === 'mute') button.disabled = !mic || (micMuted && mic.mutedBy === 'host');
    else if (action === 'lock') button.disabled = !mic || mic.locked;
    else if (action === 'askUnmute') button.disabled = !micMuted;
    else if (action === 'lowerHand') button.hidden = participant.handRaised !== true;
  }
}

function renderParticipantState(participantId) {
  const tile = tiles.get(participantId);
  const participant = window.myriad ? window.myriad.participants.get(participantId) : null;
  if (tile && participant) renderTileState(tile, participant);
}

function speakingParticipants() {
  return new Set(demoState.speakers.map((s) => s.participantId).filter(Boolean));
}

function highlightSpeakers() {
  const speaking = speakingParticipants();
  for (const [participantId, tile] of tiles) tile.root.classList.toggle('speaking', speaking.has(participantId));
}

// Lays out the current page, and tells the SDK which video to receive: the
// page's tiles, plus the next page's prefetched.
function renderPage() {
  const client = window.myriad;
  if (!client || client.state !== 'joined') return;
  const order = [...client.participants.values()];
  const pageCount = Math.max(1, Math.ceil(order.length / pageSize));
  demoState.page = Math.min(demoState.page, pageCount - 1);
  demoState.pageCount = pageCount;
  const first = demoState.page * pageSize;
  const onPage = order.slice(first, first + pageSize);
  const nextPage = order.slice(first + pageSize, first + 2 * pageSize);
  demoState.pageParticipantIds = onPage.map((p) => p.participantId);

  const keep = new Set(demoState.pageParticipantIds);
  for (const participantId of [...tiles.keys()]) if (!keep.has(participantId)) removeTile(participantId);
  onPage.forEach((p, index) => {
    let tile = tiles.get(p.participantId);
    if (!tile) tile = createTile(p.participantId, p.name);
    if (tile.nameText.textContent !== p.name) {
      tile.nameText.textContent = p.name;
      tile.placeholder.textContent = initials(p.name);
    }
    if (tilesEl.children[index] !== tile.root) tilesEl.insertBefore(tile.root, tilesEl.children[index] || null);
    attachTile(tile, tileVideoTrackId(p));
    showVideo(tile, tileVideoTrackId(p));
    renderTileState(tile, p);
  });
  // Up to 7x7: the smallest square grid that holds the page.
  const columns = Math.max(1, Math.min(7, Math.ceil(Math.sqrt(onPage.length))));
  tilesEl.style.setProperty('--columns', String(columns));
  highlightSpeakers();

  pagerLabel.textContent = `Page ${demoState.page + 1} / ${pageCount}`;
  prevButton.disabled = demoState.page === 0;
  nextButton.disabled = demoState.page >= pageCount - 1;
  demoState.participantCount = client.participantCount;
  countLabel.textContent = `${client.participantCount} participant${client.participantCount === 1 ? '' : 's'}`;

  const visible = onPage.map(tileVideoTrackId).filter(Boolean);
  const prefetch = prefetchEnabled ? nextPage.map(tileVideoTrackId).filter(Boolean) : [];
  demoState.viewport = { visible, prefetch };
  client.setViewport(visible, prefetch).catch((err) => {
    demoState.errors.push({ code: 'viewport', message: String(err && err.message ? err.message : err) });
  });
}

// The received resolution of every tile, from the inbound-rtp stats of its
// track (frameWidth/frameHeight of the last decoded frame).
async function updateReceivedResolutions() {
  const client = window.myriad;
  if (!client || !client.pc || demoState.phase !== 'joined') return;
  let report;
  try {
    report = await client.pc.getStats();
  } catch (err) {
    return; // closed meanwhile
  }
  const byReceiverTrack = new Map();
  for (const [trackId, entry] of Object.entries(demoState.remoteTracks)) {
    if (entry.kind === 'video' && entry.subscribed) byReceiverTrack.set(entry.track.id, trackId);
  }
  const received = {};
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    const trackId = byReceiverTrack.get(s.trackIdentifier);
    if (!trackId) return;
    received[trackId] = { width: s.frameWidth || 0, height: s.frameHeight || 0, framesDecoded: s.framesDecoded || 0 };
  });
  demoState.received = received;
  for (const tile of tiles.values()) {
    const got = tile.videoTrackId ? received[tile.videoTrackId] : null;
    const level = tile.videoTrackId ? client.videoLevel(tile.videoTrackId) : null;
    const wanted = level === null ? '' : ` (asks ${client.videoLevels[level]}p)`;
    tile.resolution.textContent = got && got.height ? `${got.width}\u00d7${got.height}` : '';
    tile.resolution.title = got && got.height ? `received ${got.width}\u00d7${got.height}${wanted}` : '';
  }
}

function setTileHeight(px) {
  const height = Number(px);
  demoState.tileHeight = Number.isFinite(height) && height > 0 ? height : null;
  tilesEl.classList.toggle('fixed-height', demoState.tileHeight !== null);
  if (demoState.tileHeight !== null) tilesEl.style.setProperty('--tile-height', `${demoState.tileHeight}px`);
  else tilesEl.style.removeProperty('--tile-height');
}
window.demoSetTileHeight = setTileHeight;

function goToPage(page) {
  demoState.page = Math.max(0, Math.min(page, demoState.pageCount - 1));
  renderPage();
}

// ------------------------------------------------------------ speakers

function renderSpeakers() {
  const client = window.myriad;
  const count = client ? client.audioSlotCount : 0;
  while (speakersEl.children.length > count) speakersEl.lastElementChild.remove();
  while (speakersEl.children.length < count) {
    const item = document.createElement('li');
    item.className = 'slot';
    item.dataset.slot = String(speakersEl.children.length);
    const index = document.createElement('span');
    index.className = 'slot-index';
    index.textContent = String(speakersEl.children.length + 1);
    const name = document.createElement('span');
    name.className = 'slot-name';
    item.append(index, name);
    // Jumps to the page that shows this speaker.
    item.addEventListener('click', () => {
      const participantId = item.dataset.participantId;
      if (!participantId || !window.myriad) return;
      const position = [...window.myriad.participants.keys()].indexOf(participantId);
      if (position >= 0) goToPage(Math.floor(position / pageSize));
    });
    speakersEl.appendChild(item);
  }
  demoState.speakers.forEach((speaker, slot) => {
    const item = speakersEl.children[slot];
    if (!item) return;
    const filled = !!speaker.participantId;
    // The roster may name a speaker only after `speakers` did (a roster page
    // still on its way): look the name up now, not when the event came.
    const participant = filled && client ? client.participants.get(speaker.participantId) : null;
    const name = (participant && participant.name) || speaker.name || speaker.participantId;
    item.classList.toggle('filled', filled);
    item.dataset.participantId = speaker.participantId || '';
    item.querySelector('.slot-name').textContent = filled ? name : '—';
    item.title = filled ? `Slot ${slot + 1}: ${name} (click to show)` : `Slot ${slot + 1}: silent`;
  });
}

// ------------------------------------------------------ conference control

const CONTROL_ERRORS = {
  forbidden: 'not allowed: that needs a host\u2019s token',
  mute_locked: 'a host locked your microphone; they can ask you to unmute',
  not_muted: 'that microphone is not muted',
  unknown_track: 'that track is gone',
  unknown_participant: 'that participant has left',
};

// Runs one control request and logs it (demoState.controlLog): when it was
// sent and when the server's ack or error arrived.
async function control(action, target, request) {
  const entry = { action, target, sentAt: Date.now(), settledAt: null, version: null, error: null };
  demoState.controlLog.push(entry);
  try {
    entry.version = await request();
  } catch (err) {
    entry.error = err && err.code ? err.code : String(err && err.message ? err.message : err);
    setStatus(`${action}: ${CONTROL_ERRORS[entry.error] || entry.error}`, 'error');
  } finally {
    entry.settledAt = Date.now();
  }
  return entry;
}

async function hostAction(participantId, action) {
  const client = window.myriad;
  const participant = client ? client.participants.get(participantId) : null;
  if (!participant) return;
  if (action === 'kick') {
    await control(action, participantId, () => client.kick(participantId));
    return;
  }
  if (action === 'lowerHand') {
    await control(action, participantId, () => client.lowerHand(participantId));
    return;
  }
  const mic = microphoneOf(participant);
  if (!mic) return;
  const request = {
    mute: () => client.hostMute(mic.trackId),
    lock: () => client.hostMute(mic.trackId, { lock: true }),
    askUnmute: () => client.requestUnmute(mic.trackId),
  }[action];
  if (request) await control(action, mic.trackId, request);
}

// This page's microphone or camera publication.
function ownPublication(kind) {
  const client = window.myriad;
  if (!client) return null;
  const ofKind = [...client.publications.values()].filter((p) => p.kind === kind);
  return ofKind.find((p) => p.source === (kind === 'audio' ? 'microphone' : 'camera')) || ofKind[0] || null;
}

function renderOwnControls() {
  const client = window.myriad;
  const joined = !!client && client.state === 'joined';
  const toggles = [[muteAudioButton, 'audio', 'Mute mic', 'Unmute mic'], [muteVideoButton, 'video', 'Stop camera', 'Start camera']];
  for (const [button, kind, muteText, unmuteText] of toggles) {
    const publication = joined ? ownPublication(kind) : null;
    const muted = !!(publication && publication.muted);
    button.textContent = muted ? unmuteText : muteText;
    button.setAttribute('aria-pressed', String(muted));
    button.disabled = !publication || pendingOwnControls.has(kind) || !!(publication && publication.locked);
    button.title = !publication ? 'not published'
      : publication.locked ? 'a host muted and locked this; they can ask you to unmute'
        : muted && publication.mutedBy === 'host' ? 'muted by a host' : '';
    if (kind === 'audio') selfView.classList.toggle('mic-muted', muted);
    if (kind === 'video') selfView.classList.toggle('camera-muted', muted);
  }
  const raised = joined && client.handRaised;
  handButton.textContent = raised ? 'Lower hand' : 'Raise hand';
  handButton.setAttribute('aria-pressed', String(raised));
  handButton.disabled = !joined || pendingOwnControls.has('hand');
  hostBadge.hidden = !isHost;
}

async function toggleOwnMute(kind) {
  const client = window.myriad;
  const publication = ownPublication(kind);
  if (!client || !publication) return;
  const muted = !publication.muted;
  pendingOwnControls.add(kind);
  renderOwnControls();
  await control(muted ? 'mute' : 'unmute', kind, () => client.setMuted(kind, muted));
  pendingOwnControls.delete(kind);
  renderOwnControls();
}

async function toggleHand() {
  const client = window.myriad;
  if (!client) return;
  const raised = !client.handRaised;
  pendingOwnControls.add('hand');
  renderOwnControls();
  await control(raised ? 'raiseHand' : 'lowerOwnHand', null, () => client.raiseHand(raised));
  pendingOwnControls.delete('hand');
  renderOwnControls();
}

function showUnmuteRequest(request) {
  demoState.unmuteRequest = request;
  unmuteRequestEl.hidden = !request;
  if (!request) return;
  const what = request.kind === 'video' ? 'camera' : 'microphone';
  unmuteRequestText.textContent = `${request.name || 'A host'} asks you to turn your ${what} back on.`;
}

async function acceptUnmuteRequest() {
  const request = demoState.unmuteRequest;
  const client = window.myriad;
  showUnmuteRequest(null);
  if (!request || !client) return;
  await control('acceptUnmute', request.trackId, () => client.acceptUnmuteRequest(request.trackId));
  renderOwnControls();
}

function clearRoom() {
  for (const participantId of [...tiles.keys()]) removeTile(participantId);
  speakersEl.replaceChildren();
  selfVideo.srcObject = null;
  selfView.classList.remove('has-video');
  audioUnlock.hidden = true;
  showUnmuteRequest(null);
  pendingOwnControls.clear();
  if (demoState.localStream) {
    for (const track of demoState.localStream.getTracks()) track.stop();
  }
  Object.assign(demoState, {
    phase: 'idle',
    participantId: null,
    connectionState: 'new',
    localStream: null,
    publications: [],
    listenOnly: false,
    participants: {},
    participantCount: 0,
    slots: [],
    speakers: [],
    page: 0,
    pageCount: 1,
    pageParticipantIds: [],
    viewport: { visible: [], prefetch: [] },
    videoLevels: [],
    received: {},
  });
}

// ------------------------------------------------------------- SDK wiring

function logEvent(type, detail) {
  const entry = { type, time: Date.now() };
  for (const key of ['participantId', 'trackId', 'kind', 'name', 'reason', 'code', 'message', 'state', 'slot', 'source',
    'mid', 'level', 'height', 'version', 'applied', 'error', 'muted', 'by', 'locked', 'local', 'raised', 'url',
    'deadlineMs', 'previousParticipantId']) {
    if (detail && detail[key] !== undefined) entry[key] = detail[key];
  }
  if (type === 'speakers') {
    entry.slots = detail.slots.map((s) => s.participantId);
    entry.changed = detail.changed;
  } else if (type === 'roster') {
    entry.version = detail.version;
    entry.participantCount = detail.participantCount;
  }
  demoState.events.push(entry);
}

function wireClient(client) {
  const on = (type, handler) => client.addEventListener(type, (event) => {
    if (client !== window.myriad) return; // events from a previous session
    logEvent(type, event.detail);
    handler(event.detail);
  });

  on('participantJoined', ({ participantId, name }) => {
    demoState.participants[participantId] = { name };
  });
  on('participantUpdated', ({ participantId, name }) => {
    demoState.participants[participantId] = { name };
  });
  on('participantLeft', ({ participantId }) => {
    delete demoState.participants[participantId];
  });
  on('trackPublished', () => {});
  on('trackUnpublished', () => {});
  // One re-layout per snapshot, page or batch, however many changes it has.
  on('roster', () => {
    renderPage();
    renderSpeakers();
  });
  on('trackSubscribed', (detail) => {
    demoState.remoteTracks[detail.trackId] = {
      participantId: detail.participantId, kind: detail.kind, track: detail.track, stream: detail.stream,
      subscribed: true, ended: false,
    };
    const tile = tiles.get(detail.participantId);
    const p = client.participants.get(detail.participantId);
    if (tile && p) showVideo(tile, tileVideoTrackId(p));
  });
  on('trackUnsubscribed', (detail) => {
    const entry = demoState.remoteTracks[detail.trackId];
    if (entry) {
      entry.subscribed = false;
      entry.ended = !detail.track || detail.track.readyState === 'ended';
    }
    const tile = tiles.get(detail.participantId);
    if (tile && tile.videoTrackId === detail.trackId) showVideo(tile, null);
  });
  on('slotTrack', ({ slot, track }) => {
    const speaker = demoState.speakers[slot] || {};
    demoState.slots[slot] = { slot, track, participantId: speaker.participantId || null, trackId: speaker.trackId || null };
  });
  on('speakers', ({ slots }) => {
    demoState.speakers = slots;
    for (const s of slots) {
      const entry = demoState.slots[s.slot];
      if (entry) Object.assign(entry, { participantId: s.participantId, trackId: s.trackId });
    }
    renderSpeakers();
    highlightSpeakers();
  });
  on('audioBlocked', () => {
    audioUnlock.hidden = false;
  });
  on('connectionStateChange', ({ state }) => {
    demoState.connectionState = state;
    describeConnection();
  });
  on('muteChanged', ({ participantId, trackId, muted, local }) => {
    if (local) {
      if (!muted && demoState.unmuteRequest && demoState.unmuteRequest.trackId === trackId) showUnmuteRequest(null);
      renderOwnControls();
    } else {
      renderParticipantState(participantId);
    }
  });
  on('handChanged', ({ participantId, local }) => {
    if (local) renderOwnControls();
    else renderParticipantState(participantId);
  });
  on('unmuteRequested', ({ trackId, participantId, name, kind }) => {
    showUnmuteRequest({ trackId, participantId, name, kind, time: Date.now() });
  });
  on('subscriptionRejected', () => {});
  on('videoLevel', () => {});
  on('tierPlan', (detail) => {
    demoState.tierPlans.push({
      mid: detail.mid, trackId: detail.trackId, version: detail.version, encodings: detail.encodings,
      applied: detail.applied, error: detail.error, time: Date.now(),
    });
  });
  on('error', (detail) => {
    demoState.errors.push({ code: detail.code, message: detail.message });
    console.warn('myriad error', detail.code, detail.message);
  });
  // The server is shutting down: the SDK moves this page to another server
  // (same room, same tracks); the roster empties and refills meanwhile.
  on('draining', () => {
    setStatus('The server is shutting down: moving to another one…');
  });
  on('reconnecting', () => {});
  on('reconnected', ({ participantId, publications }) => {
    demoState.participantId = participantId;
    demoState.publications = publications;
    demoState.moves += 1;
    selfView.dataset.participantId = participantId;
    describeConnection();
    renderPage();
    renderSpeakers();
    renderOwnControls();
  });
  on('disconnected', ({ reason }) => {
    const wasJoined = demoState.phase === 'joined' || demoState.phase === 'leaving';
    clearRoom();
    setFormMode('idle');
    renderOwnControls();
    if (reason === 'requested') setStatus('Left the room');
    else if (reason === 'kicked') setStatus('A host removed you from the room', 'error');
    else setStatus(wasJoined ? `Disconnected (${reason})` : `Could not connect (${reason})`, 'error');
  });
}

async function getLocalMedia() {
  if (publishWhat === 'none') return null;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: publishWhat === 'audio' ? false : { width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: publishWhat !== 'video',
    });
  } catch (err) {
    console.warn('getUserMedia failed, joining without camera/microphone', err);
    demoState.errors.push({ code: 'media', message: String(err && err.message ? err.message : err) });
    return null;
  }
}

async function join(room, name) {
  demoState.phase = 'joining';
  demoState.room = room;
  demoState.name = name;
  setFormMode('joining');
  setStatus('Getting camera and microphone…');

  const stream = await getLocalMedia();
  demoState.localStream = stream;

  const client = new MyriadClient({
    audio: audioMode, videoCodec, simulcast, maxVideoLevel, controlChannel,
  });
  window.myriad = client;
  wireClient(client);
  setStatus(`Joining “${room}”…`);
  try {
    const joined = await client.join(room, name, { token });
    demoState.participantId = joined.participantId;
    demoState.videoLevels = client.videoLevels;
    demoState.phase = 'joined';
    setFormMode('joined');
    describeConnection();
    selfView.dataset.participantId = joined.participantId;
    renderPage();
    renderSpeakers();
    renderOwnControls();
    if (stream) {
      selfVideo.srcObject = stream;
      selfView.classList.toggle('has-video', stream.getVideoTracks().length > 0);
      playSafely(selfVideo);
      try {
        demoState.publications = await client.publish(stream, { priority: audioPriority });
      } catch (err) {
        if (err.code !== 'publisher_limit') throw err;
        // The room has all the publishers it allows: stay as a listener.
        demoState.publications = err.published || [];
        demoState.listenOnly = true;
        if (demoState.publications.length === 0) {
          for (const track of stream.getTracks()) track.stop();
          selfVideo.srcObject = null;
          selfView.classList.remove('has-video');
        }
        describeConnection();
      }
      renderOwnControls();
    }
  } catch (err) {
    console.error('join/publish failed', err);
    demoState.errors.push({ code: err.code || 'join', message: String(err.message || err) });
    if (client.state !== 'closed') await client.leave();
    clearRoom();
    setFormMode('idle');
    setStatus(`Could not join: ${err.message || err}`, 'error');
  }
}

async function leave() {
  const client = window.myriad;
  if (!client) return;
  demoState.phase = 'leaving';
  setFormMode('leaving');
  await client.leave();
  // 'disconnected' normally resets the page; make sure it is reset anyway.
  if (demoState.phase !== 'idle') {
    clearRoom();
    setFormMode('idle');
    setStatus('Left the room');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (demoState.phase === 'idle') {
    if (!form.reportValidity()) return;
    join(roomInput.value.trim(), nameInput.value.trim());
  } else if (demoState.phase === 'joined') {
    leave();
  }
});

prevButton.addEventListener('click', () => goToPage(demoState.page - 1));
nextButton.addEventListener('click', () => goToPage(demoState.page + 1));
muteAudioButton.addEventListener('click', () => toggleOwnMute('audio'));
muteVideoButton.addEventListener('click', () => toggleOwnMute('video'));
handButton.addEventListener('click', () => toggleHand());
unmuteAcceptButton.addEventListener('click', () => acceptUnmuteRequest());
unmuteDismissButton.addEventListener('click', () => showUnmuteRequest(null));
audioUnlock.addEventListener('click', () => {
  audioUnlock.hidden = true;
  if (window.myriad) window.myriad.resumeAudio().catch(() => { audioUnlock.hidden = false; });
});

window.addEventListener('pagehide', () => {
  if (window.myriad && demoState.phase === 'joined') window.myriad.leave();
});

setInterval(updateReceivedResolutions, STATS_INTERVAL_MS);
if (Number.isInteger(tileHeightParam) && tileHeightParam > 0) setTileHeight(tileHeightParam);

if (params.get('room')) roomInput.value = params.get('room');
if (params.get('name')) nameInput.value = params.get('name');
if (!nameInput.value) nameInput.value = `Guest ${Math.floor(Math.random() * 900 + 100)}`;
setFormMode('idle');
renderOwnControls();
if (params.get('autojoin') === '1' && roomInput.value && nameInput.value) {
  join(roomInput.value.trim(), nameInput.value.trim());
}
