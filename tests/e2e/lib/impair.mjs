// Runs myriad-impair (loadtest/impair, docs/architecture.md): a user-space
// impairment relay on loopback between a browser and the server's media
// port (the kernel here has no netem). The relay prints `listening
// 127.0.0.1:PORT` once bound and takes commands on stdin (`down-kbps 500`),
// answering `ok ...` or `error ...` on one line each.
//
// The binary comes from $MYRIAD_IMPAIR_BIN, else next to myriad-loadtest
// (see loadtest.mjs), else build/ in the repository.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

import { findLoadtestBinary } from './loadtest.mjs';
import { REPO_ROOT } from './server.mjs';

const START_TIMEOUT_MS = 10000;
const COMMAND_TIMEOUT_MS = 5000;

/** The myriad-impair binary, or null when none is built. */
export function findImpairBinary() {
  if (process.env.MYRIAD_IMPAIR_BIN) return process.env.MYRIAD_IMPAIR_BIN;
  const candidates = [];
  const loadtest = findLoadtestBinary();
  if (loadtest) candidates.push(path.join(path.dirname(loadtest), 'myriad-impair'));
  candidates.push(path.join(REPO_ROOT, 'build', 'loadtest', 'myriad-impair'));
  return candidates.find((candidate) => existsSync(candidate)) || null;
}

/**
 * Starts a relay towards 127.0.0.1:`targetPort` with the given command-line
 * flags. Resolves with {port, command(line), lines, stop()}.
 */
export async function startRelay(targetPort, flags = []) {
  const bin = findImpairBinary();
  if (!bin) throw new Error('myriad-impair is not built (set MYRIAD_IMPAIR_BIN)');
  const child = spawn(bin, ['--target', `127.0.0.1:${targetPort}`, '--duration-s', '900', ...flags], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = [];
  const waiters = [];
  const input = readline.createInterface({ input: child.stdout });
  input.on('line', (line) => {
    lines.push(line);
    const waiter = waiters.shift();
    if (waiter) waiter(line);
  });
  child.stderr.on('data', (chunk) => lines.push(`stderr: ${chunk.toString().trim()}`));

  function nextLine(timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`myriad-impair: no answer to ${what} within ${timeoutMs} ms (${lines.join(' | ')})`)), timeoutMs);
      waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  const first = await nextLine(START_TIMEOUT_MS, 'start');
  const match = /^listening 127\.0\.0\.1:(\d+)$/.exec(first);
  if (!match) {
    child.kill('SIGTERM');
    throw new Error(`myriad-impair did not start: ${first}`);
  }

  async function command(line) {
    const answer = nextLine(COMMAND_TIMEOUT_MS, line);
    child.stdin.write(`${line}\n`);
    const text = await answer;
    if (!text.startsWith('ok') && !text.startsWith('{')) throw new Error(`myriad-impair: ${line}: ${text}`);
    return text;
  }

  async function stop() {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  return { port: Number(match[1]), command, lines, stop };
}

/**
 * Puts `page`'s media path behind relays: its peer connection's remote host
 * candidate (the server's media port, from the answer) is replaced with a
 * relay started towards that port by `relayFor(port)` (called once per
 * server port). Install before the page loads.
 */
export async function routeMediaThroughRelay(page, relayFor) {
  await page.exposeFunction('__myriadRelayPortFor', relayFor);
  await page.addInitScript(() => {
    const original = RTCPeerConnection.prototype.setRemoteDescription;
    RTCPeerConnection.prototype.setRemoteDescription = async function setRemoteDescription(description) {
      if (description && description.type === 'answer' && description.sdp) {
        let sdp = description.sdp;
        const ports = new Set([...sdp.matchAll(/ 127\.0\.0\.1 (\d+) typ host/g)].map((m) => m[1]));
        for (const port of ports) {
          // eslint-disable-next-line no-await-in-loop
          const relayPort = await window.__myriadRelayPortFor(Number(port));
          sdp = sdp.replaceAll(` 127.0.0.1 ${port} typ host`, ` 127.0.0.1 ${relayPort} typ host`);
        }
        return original.call(this, { type: description.type, sdp });
      }
      return original.call(this, description);
    };
  });
}
