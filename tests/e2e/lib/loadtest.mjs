// Runs myriad-loadtest (loadtest/, docs/loadtest.md) against a test server:
// synthetic participants that publish audio on a seeded talk schedule.
//
// The binary comes from $MYRIAD_LOADTEST_BIN, else the build directory of
// $MYRIAD_BIN (where CMake puts it: <build>/myriad-loadtest or
// <build>/loadtest/myriad-loadtest), else build/ in the repository.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { REPO_ROOT } from './server.mjs';

const STOP_TIMEOUT_MS = 10000;

/** The myriad-loadtest binary, or null when none is built. */
export function findLoadtestBinary() {
  if (process.env.MYRIAD_LOADTEST_BIN) return process.env.MYRIAD_LOADTEST_BIN;
  const buildDirs = [];
  if (process.env.MYRIAD_BIN) buildDirs.push(path.dirname(process.env.MYRIAD_BIN));
  buildDirs.push(path.join(REPO_ROOT, 'build'));
  for (const dir of buildDirs) {
    for (const candidate of [path.join(dir, 'myriad-loadtest'), path.join(dir, 'loadtest', 'myriad-loadtest')]) {
      if (existsSync(candidate)) return candidate;
    }
  }
  return null;
}

/**
 * Writes `scenario` (a scenario object as in loadtest/scenarios/*.json) to
 * `dir` and starts the load generator on it against 127.0.0.1:`port`.
 * @returns {{process: import('node:child_process').ChildProcess, logPath: string, reportPath: string,
 *   exited: Promise<{code: number|null, signal: string|null}>, report: () => Promise<object>,
 *   logTail: (lines?: number) => Promise<string>, stop: () => Promise<{code: number|null, signal: string|null}>}}
 */
export async function startLoadtest({ bin, scenario, port, dir }) {
  const scenarioPath = path.join(dir, `${scenario.name}.json`);
  const reportPath = path.join(dir, 'loadtest-report.json');
  const logPath = path.join(dir, 'loadtest.log');
  await writeFile(scenarioPath, `${JSON.stringify(scenario, null, 2)}\n`);

  const args = ['--scenario', scenarioPath, '--server', `127.0.0.1:${port}`, '--report', reportPath];
  const log = createWriteStream(logPath);
  await new Promise((resolve, reject) => {
    log.once('open', resolve);
    log.once('error', reject);
  });
  log.write(`# ${bin} ${args.join(' ')}\n`);
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      exitInfo = { code: null, signal: null, error: err.message };
      log.write(`# spawn failed: ${err.message}\n`);
      resolve(exitInfo);
    });
  });

  async function logTail(lines = 40) {
    try {
      return (await readFile(logPath, 'utf8')).split('\n').slice(-lines).join('\n');
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
        if (!exitInfo) child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    logClosed ??= new Promise((resolve) => log.end(resolve));
    await logClosed;
    return exitInfo;
  }

  async function report() {
    return JSON.parse(await readFile(reportPath, 'utf8'));
  }

  return {
    process: child, logPath, reportPath, exited, report, logTail, stop,
    get exitInfo() {
      return exitInfo;
    },
  };
}
