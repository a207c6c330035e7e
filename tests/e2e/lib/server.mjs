// Starts and stops the Myriad server binary for the end-to-end tests.
//
// The binary comes from $MYRIAD_BIN (default: build/myriad in the repository).
// The HTTP listener cannot bind port 0, so a free port is found by binding a
// throw-away listener to port 0 and closing it; the media workers do use
// ephemeral UDP ports (MYRIAD_MEDIA_PORT_BASE=0). Everything the server prints
// goes to a log file in a temporary directory, kept (and its path printed by
// the tests) when something fails.

import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const READY_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 10000;

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server and waits until GET /healthz answers 200.
 * @returns {Promise<{url: string, wsUrl: string, port: number, logPath: string, tempDir: string,
 *   process: import('node:child_process').ChildProcess, logTail: (lines?: number) => Promise<string>,
 *   stop: () => Promise<{code: number|null, signal: string|null}>, cleanup: () => Promise<void>}>}
 */
export async function startServer({ bin = process.env.MYRIAD_BIN || path.join(REPO_ROOT, 'build/myriad'), extraEnv = {} } = {}) {
  const tempDir = await mkdtemp(path.join(tmpdir(), 'myriad-e2e-server-'));
  const logPath = path.join(tempDir, 'myriad.log');
  const configPath = path.join(tempDir, 'myriad.json');
  const port = await findFreePort();

  // A complete config so that nothing depends on the working directory; the
  // environment overrides below are applied on top of it by the server.
  const config = {
    http: { listen_address: '127.0.0.1', port, web_root: path.join(REPO_ROOT, 'web') },
    media: { listen_address: '127.0.0.1', announced_address: '', port_base: 0, workers: 2 },
    log: { level: process.env.MYRIAD_E2E_LOG_LEVEL || 'debug' },
    // stop() closes the rooms at once (every page gets left, server_shutdown);
    // drain.test.mjs turns the drain on with MYRIAD_DRAIN_GRACE_PERIOD_S.
    drain: { grace_period_s: 0 },
  };
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);

  const env = {
    ...process.env,
    MYRIAD_CONFIG: configPath,
    MYRIAD_HTTP_PORT: String(port),
    MYRIAD_MEDIA_PORT_BASE: '0',
    MYRIAD_MEDIA_WORKERS: '2',
    ...extraEnv,
  };

  const log = createWriteStream(logPath);
  await new Promise((resolve, reject) => {
    log.once('open', resolve);
    log.once('error', reject);
  });
  log.write(`# ${bin} --config ${configPath}\n# MYRIAD_HTTP_PORT=${port} MYRIAD_MEDIA_PORT_BASE=0 MYRIAD_MEDIA_WORKERS=2\n`);

  const child = spawn(bin, ['--config', configPath], { cwd: tempDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      exitInfo = { code: null, signal: null, error: err };
      log.write(`# spawn failed: ${err.message}\n`);
      resolve(exitInfo);
    });
  });

  const url = `http://127.0.0.1:${port}`;

  async function logTail(lines = 60) {
    try {
      const text = await readFile(logPath, 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  let logClosed = null;
  // Idempotent: SIGTERM, SIGKILL after STOP_TIMEOUT_MS, then the exit status.
  async function stop() {
    if (!exitInfo) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exitInfo) {
          log.write(`# still running ${STOP_TIMEOUT_MS} ms after SIGTERM: SIGKILL\n`);
          child.kill('SIGKILL');
        }
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    logClosed ??= new Promise((resolve) => log.end(resolve));
    await logClosed;
    return exitInfo;
  }

  async function cleanup() {
    await rm(tempDir, { recursive: true, force: true });
  }

  // Readiness: poll /healthz until it answers 200, the process dies, or the deadline passes.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exitInfo) {
      await stop();
      throw new Error(`myriad exited before becoming ready (${JSON.stringify(exitInfo)}); log: ${logPath}\n${await logTail()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(`myriad did not answer GET /healthz within ${READY_TIMEOUT_MS} ms; log: ${logPath}\n${await logTail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/rtc`,
    port,
    logPath,
    tempDir,
    process: child,
    logTail,
    stop,
    cleanup,
    get exitInfo() {
      return exitInfo;
    },
  };
}
