// Myriad demo page: join a room, publish camera + microphone, show everyone.
// URL parameters ?room=...&name=...&autojoin=1 join without a click (used by
// the browser end-to-end tests, which read window.myriad and window.demoState).

import { MyriadClient } from './myriad.js';

const form = document.getElementById('join-form');
const roomInput = document.getElementById('room');
const nameInput = document.getElementById('name');
const joinButton = document.getElementById('join-button');
const statusLine = document.getElementById('status');
const tilesEl = document.getElementById('tiles');
const audioSinks = document.getElementById('audio-sinks');

/**
 * Everything a test might want to look at. `remoteTracks` is keyed by trackId;
 * `events` is the SDK's event log in arrival order.
 */
const demoState = {
  phase: 'idle', // idle | joining | joined | leaving
  room: null,
  name: null,
  participantId: null,
  connectionState: 'new',
  localStream: null,
  publications: [],
  participants: {}, // participantId -> {name}
  remoteTracks: {}, // trackId -> {participantId, kind, track, stream, subscribed, ended}
  events: [],
  errors: [],
};
window.demoState = demoState;
window.myriad = null;

const tiles = new Map(); // participantId or 'local' -> {root, video, label}
const audioElements = new Map(); // trackId -> HTMLAudioElement

function setStatus(text, state = '') {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function describeConnection() {
  if (demoState.phase !== 'joined') return;
  const others = Object.keys(demoState.participants).length;
  const pcState = demoState.connectionState;
  setStatus(`In room “${demoState.room}” as ${demoState.name} · ${others} other${others === 1 ? '' : 's'} · media ${pcState}`,
    pcState === 'connected' ? 'connected' : pcState === 'failed' ? 'error' : '');
}

function setFormMode(mode) {
  const inRoom = mode !== 'idle';
  roomInput.disabled = inRoom;
  nameInput.disabled = inRoom;
  joinButton.textContent = inRoom ? 'Leave' : 'Join';
  joinButton.classList.toggle('leave', inRoom);
  joinButton.disabled = mode === 'joining' || mode === 'leaving';
}

// ----------------------------------------------------------------- tiles

function initials(name) {
  const letters = name.trim().split(/\s+/).map((w) => w[0] || '').join('').slice(0, 2);
  return letters.toUpperCase() || '?';
}

function ensureTile(key, name, isLocal) {
  let tile = tiles.get(key);
  if (tile) {
    tile.nameText.textContent = name;
    tile.placeholder.textContent = initials(name);
    return tile;
  }
  const root = document.createElement('figure');
  root.className = isLocal ? 'tile local' : 'tile';
  root.dataset.participantId = key;
  root.style.margin = '0';

  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // audio plays through separate <audio> elements
  root.appendChild(video);

  const placeholder = document.createElement('div');
  placeholder.className = 'placeholder';
  placeholder.textContent = initials(name);
  root.appendChild(placeholder);

  const label = document.createElement('figcaption');
  label.className = 'label';
  const nameText = document.createElement('span');
  nameText.textContent = name;
  const audioIndicator = document.createElement('span');
  audioIndicator.className = 'audio-indicator';
  audioIndicator.textContent = '\u266A';
  audioIndicator.title = 'audio';
  label.append(nameText, audioIndicator);
  root.appendChild(label);

  if (isLocal) tilesEl.prepend(root);
  else tilesEl.appendChild(root);
  tile = { root, video, placeholder, nameText, videoTrackId: null };
  tiles.set(key, tile);
  return tile;
}

function removeTile(key) {
  const tile = tiles.get(key);
  if (!tile) return;
  tile.video.srcObject = null;
  tile.root.remove();
  tiles.delete(key);
}

function playSafely(media) {
  const result = media.play();
  if (result && result.catch) {
    result.catch(() => {
      // Autoplay with sound needs a user gesture; retry on the next click.
      document.addEventListener('click', () => media.play().catch(() => {}), { once: true });
    });
  }
}

function attachRemoteTrack({ participantId, trackId, kind, track }) {
  const p = demoState.participants[participantId];
  const tile = ensureTile(participantId, p ? p.name : participantId, false);
  if (kind === 'video') {
    tile.video.srcObject = new MediaStream([track]);
    tile.videoTrackId = trackId;
    tile.root.classList.add('has-video');
    playSafely(tile.video);
  } else if (kind === 'audio') {
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.dataset.trackId = trackId;
    audio.dataset.participantId = participantId;
    audio.srcObject = new MediaStream([track]);
    audioSinks.appendChild(audio);
    audioElements.set(trackId, audio);
    tile.root.classList.add('has-audio');
    playSafely(audio);
  }
}

function detachRemoteTrack({ participantId, trackId, kind }) {
  const tile = tiles.get(participantId);
  if (kind === 'video' && tile && tile.videoTrackId === trackId) {
    tile.video.srcObject = null;
    tile.videoTrackId = null;
    tile.root.classList.remove('has-video');
  }
  const audio = audioElements.get(trackId);
  if (audio) {
    audio.srcObject = null;
    audio.remove();
    audioElements.delete(trackId);
    if (tile && ![...audioElements.values()].some((a) => a.dataset.participantId === participantId)) {
      tile.root.classList.remove('has-audio');
    }
  }
}

function clearRoom() {
  for (const key of [...tiles.keys()]) removeTile(key);
  for (const audio of audioElements.values()) {
    audio.srcObject = null;
    audio.remove();
  }
  audioElements.clear();
  if (demoState.localStream) {
    for (const track of demoState.localStream.getTracks()) track.stop();
  }
  Object.assign(demoState, {
    phase: 'idle', participantId: null, connectionState: 'new', localStream: null, publications: [], participants: {},
  });
}

// ------------------------------------------------------------- SDK wiring

function logEvent(type, detail) {
  const entry = { type, time: Date.now() };
  for (const key of ['participantId', 'trackId', 'kind', 'name', 'reason', 'code', 'message', 'state']) {
    if (detail && detail[key] !== undefined) entry[key] = detail[key];
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
    ensureTile(participantId, name, false);
    describeConnection();
  });
  on('participantLeft', ({ participantId }) => {
    delete demoState.participants[participantId];
    removeTile(participantId);
    describeConnection();
  });
  on('trackSubscribed', (detail) => {
    demoState.remoteTracks[detail.trackId] = {
      participantId: detail.participantId, kind: detail.kind, track: detail.track, stream: detail.stream,
      subscribed: true, ended: false,
    };
    attachRemoteTrack(detail);
  });
  on('trackUnsubscribed', (detail) => {
    const entry = demoState.remoteTracks[detail.trackId];
    if (entry) {
      entry.subscribed = false;
      entry.ended = !detail.track || detail.track.readyState === 'ended';
    }
    detachRemoteTrack(detail);
  });
  on('connectionStateChange', ({ state }) => {
    demoState.connectionState = state;
    describeConnection();
  });
  on('error', (detail) => {
    demoState.errors.push({ code: detail.code, message: detail.message });
    console.warn('myriad error', detail.code, detail.message);
  });
  on('disconnected', ({ reason }) => {
    const wasJoined = demoState.phase === 'joined' || demoState.phase === 'leaving';
    clearRoom();
    setFormMode('idle');
    if (reason === 'requested') setStatus('Left the room');
    else setStatus(wasJoined ? `Disconnected (${reason})` : `Could not connect (${reason})`, 'error');
  });
}

async function getLocalMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: true,
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

  const client = new MyriadClient();
  window.myriad = client;
  wireClient(client);
  setStatus(`Joining “${room}”…`);
  try {
    const joined = await client.join(room, name);
    demoState.participantId = joined.participantId;
    demoState.phase = 'joined';
    setFormMode('joined');
    describeConnection();
    const local = ensureTile('local', `${name} (you)`, true);
    local.root.dataset.participantId = joined.participantId;
    if (stream) {
      local.video.srcObject = stream;
      local.root.classList.add('has-video');
      if (stream.getAudioTracks().length) local.root.classList.add('has-audio');
      playSafely(local.video);
      demoState.publications = await client.publish(stream);
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

window.addEventListener('pagehide', () => {
  if (window.myriad && demoState.phase === 'joined') window.myriad.leave();
});

// URL parameters: ?room=...&name=...&autojoin=1
const params = new URLSearchParams(location.search);
if (params.get('room')) roomInput.value = params.get('room');
if (params.get('name')) nameInput.value = params.get('name');
if (!nameInput.value) nameInput.value = `Guest ${Math.floor(Math.random() * 900 + 100)}`;
setFormMode('idle');
if (params.get('autojoin') === '1' && roomInput.value && nameInput.value) {
  join(roomInput.value.trim(), nameInput.value.trim());
}
