// The Grafana dashboard (deploy/grafana/myriad-dashboard.json) and the
// Prometheus alert rules (deploy/prometheus/myriad-alerts.yaml) refer only to
// metrics and labels a live server exposes.
//
// A real server and a short real call: two pages join one room through the
// demo page, each publishing a microphone (a steady tone) and the fake camera,
// until each decodes the other's video and receives its audio; one mutes and
// unmutes its microphone (conference control: myriad_control_requests_total,
// myriad_control_mute_enforcement_seconds), and a join with a bad token is
// refused (myriad_auth_failures_total, myriad_signaling_errors_total: families
// whose series exist only once something was counted). Then GET /metrics is
// parsed (every sample's name and labels, histogram _bucket/_sum/_count and
// counters' _total as scraped), and every PromQL expression of the dashboard
// (panel targets, rows' nested panels, query variables) and of the rule file
// is checked with lib/promql.mjs: each metric name exists, each label of a
// matcher or a by/without/on/ignoring list is on a sample of the metric(s),
// each value of an = / =~ matcher is one some sample has (job, instance and
// `up` are Prometheus's own). A check of a bogus expression against the same
// scrape shows the checker fails what does not exist.
//
// MYRIAD_DASHBOARD and MYRIAD_ALERT_RULES name other files to check (a
// broken copy must fail the test). Every wait polls with a deadline.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { closeAndReport, launchBrowser, pollUntil, rtpStats } from './lib/browser.mjs';
import { stepSequence } from './lib/control.mjs';
import {
  checkReferences, dashboardExpressions, parseExposition, ruleExpressions,
} from './lib/promql.mjs';
import { REPO_ROOT, startServer } from './lib/server.mjs';

const DASHBOARD_PATH = process.env.MYRIAD_DASHBOARD || path.join(REPO_ROOT, 'deploy/grafana/myriad-dashboard.json');
const RULES_PATH = process.env.MYRIAD_ALERT_RULES || path.join(REPO_ROOT, 'deploy/prometheus/myriad-alerts.yaml');
const JOIN_TIMEOUT_MS = 20000;
const MEDIA_TIMEOUT_MS = 30000;
const METRICS_TIMEOUT_MS = 10000;

const room = `obs-${process.pid}-${Date.now().toString(36)}`;

/** Every series of `name` in a parsed scrape, summed (0 when there is none). */
function total(scrape, name, filter = () => true) {
  return (scrape.get(name) || []).filter((s) => filter(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

async function scrapeMetrics(server) {
  const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200, 'GET /metrics');
  return parseExposition(await res.text());
}

/** Problems of every {where, expr} against the scrape, one line each. */
function problemsOf(expressions, scrape) {
  return expressions.flatMap(({ where, expr }) => checkReferences(expr, scrape)
    .map((problem) => `${where}: ${problem}\n    ${expr.replace(/\s+/g, ' ').trim()}`));
}

describe('dashboard and alert rules against a live server\'s /metrics', () => {
  let server;
  let browser;
  let dashboard;
  let rules;
  let scrape;
  const pages = new Map(); // label -> {page, participantId}
  // The call's steps build on each other (after a failure the rest are
  // skipped and the server's log is printed); the checks of the scrape
  // each run once there is one, whatever another check found.
  const { step, state } = stepSequence(it);
  const check = (name, fn) => it(name, { timeout: 10000 }, async (t) => {
    if (!scrape) {
      t.skip('no scrape: an earlier step failed');
      return;
    }
    await fn(t);
  });

  before(async () => {
    dashboard = JSON.parse(await readFile(DASHBOARD_PATH, 'utf8'));
    rules = parseYaml(await readFile(RULES_PATH, 'utf8'));
    server = await startServer();
    browser = await launchBrowser({ microphone: 'tone' });
  });
  after(async () => {
    await closeAndReport({ browser, server, failed: state.failed, lines: 120 });
  });

  it('the dashboard and the rule file are well formed', async (t) => {
    t.diagnostic(`dashboard ${DASHBOARD_PATH}, rules ${RULES_PATH}`);
    assert.ok(dashboard.schemaVersion >= 38 && dashboard.schemaVersion <= 39, `schemaVersion ${dashboard.schemaVersion}`);
    const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    assert.equal(variables.get('datasource')?.type, 'datasource');
    assert.equal(variables.get('datasource')?.query, 'prometheus');
    for (const name of ['job', 'instance']) assert.equal(variables.get(name)?.type, 'query', `variable ${name}`);
    const ids = new Set();
    const visit = (panels) => {
      for (const panel of panels || []) {
        assert.ok(!ids.has(panel.id), `panel id ${panel.id} is used twice`);
        ids.add(panel.id);
        if (panel.type === 'row') {
          visit(panel.panels);
          continue;
        }
        assert.equal(panel.datasource?.uid, '${datasource}', `panel "${panel.title}" uses the datasource variable`);
        assert.ok(panel.targets?.length > 0, `panel "${panel.title}" has targets`);
        for (const target of panel.targets) {
          assert.equal(target.datasource?.uid, '${datasource}', `panel "${panel.title}" target ${target.refId}`);
          assert.ok(typeof target.expr === 'string' && target.expr.trim(), `panel "${panel.title}" target ${target.refId} has an expr`);
        }
      }
    };
    visit(dashboard.panels);
    const alerts = rules.groups.flatMap((g) => g.rules);
    assert.ok(alerts.length > 0, 'the rule file has rules');
    assert.equal(new Set(alerts.map((r) => r.alert)).size, alerts.length, 'alert names are unique');
    for (const rule of alerts) {
      assert.match(rule.alert || '', /^\w+$/, `a rule without an alert name: ${JSON.stringify(rule)}`);
      assert.match(String(rule.for || ''), /^\d+[smh]$/, `${rule.alert}: for`);
      assert.match(rule.labels?.severity || '', /^(critical|warning|info)$/, `${rule.alert}: labels.severity`);
      assert.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert}: annotations.summary/description`);
    }
    t.diagnostic(`${ids.size} panels, ${alerts.length} alerts: ${alerts.map((r) => r.alert).join(', ')}`);
  });

  step('two participants publish audio and video and receive each other\'s', async (t) => {
    for (const label of ['Ann', 'Bob']) {
      const page = await browser.newParticipantPage(
        `${server.url}/index.html?room=${encodeURIComponent(room)}&name=${label}&autojoin=1`, label);
      const participantId = await pollUntil(() => page.evaluate(() => {
        const s = window.demoState;
        if (s.errors.length) throw new Error(`page errors: ${JSON.stringify(s.errors)}`);
        return s.phase === 'joined' && s.publications.length === 2 ? s.participantId : null;
      }), { timeoutMs: JOIN_TIMEOUT_MS, description: `${label} to join and publish audio and video` });
      pages.set(label, { page, participantId });
    }
    const started = Date.now();
    for (const [label, { page }] of pages) {
      const other = [...pages.values()].find((p) => p.page !== page).participantId;
      const got = await pollUntil(async () => {
        const stats = await rtpStats(page);
        const video = stats.inbound.find((s) => s.kind === 'video' && s.participantId === other && s.framesDecoded > 0);
        const audio = stats.inbound.find((s) => s.kind === 'audio' && s.participantId === other && s.packetsReceived > 0);
        const channel = await page.evaluate(() => window.myriad.controlChannelState);
        return video && audio && channel === 'open' ? { video, audio } : null;
      }, { timeoutMs: MEDIA_TIMEOUT_MS, description: `${label} to decode video and receive audio, control channel open` });
      t.diagnostic(`${label}: ${got.video.frameWidth}x${got.video.frameHeight}, ${got.video.framesDecoded} frames, `
        + `${got.audio.packetsReceived} audio packets (${Date.now() - started} ms)`);
    }
  }, 90000);

  step('a mute, an unmute and a refused join are counted', async (t) => {
    const { page } = pages.get('Ann');
    const versions = await page.evaluate(async () => [
      await window.myriad.setMuted('audio', true), await window.myriad.setMuted('audio', false),
    ]);
    t.diagnostic(`mute / unmute acked at room versions ${versions.join(', ')}`);
    const reply = await page.evaluate((wsUrl) => new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      const timer = setTimeout(() => reject(new Error('no reply to a join with a bad token within 5 s')), 5000);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', id: 1, room: 'obs-refused', name: 'Mallory', token: 'not.a.token' }));
      ws.onmessage = (event) => {
        clearTimeout(timer);
        ws.close();
        resolve(JSON.parse(event.data));
      };
      ws.onerror = () => reject(new Error('WebSocket error'));
    }), server.wsUrl);
    assert.equal(reply.type, 'error', JSON.stringify(reply));
    assert.equal(reply.code, 'unauthorized', JSON.stringify(reply));
  });

  step('GET /metrics has the call\'s counts', async (t) => {
    let last = null;
    scrape = await pollUntil(async () => {
      const s = await scrapeMetrics(server);
      last = {
        participants: total(s, 'myriad_participants'),
        videoOut: total(s, 'myriad_packets_total', (l) => l.direction === 'out' && l.kind === 'video'),
        audioOut: total(s, 'myriad_packets_total', (l) => l.direction === 'out' && l.kind === 'audio'),
        dtls: total(s, 'myriad_dtls_handshakes_total'),
        muteEnforcements: total(s, 'myriad_control_mute_enforcement_seconds_count'),
        controlRequests: total(s, 'myriad_control_requests_total'),
        authFailures: total(s, 'myriad_auth_failures_total'),
        signalingErrors: total(s, 'myriad_signaling_errors_total'),
        channelIn: total(s, 'myriad_data_channel_messages_total', (l) => l.direction === 'in'),
      };
      return Object.values(last).every((v) => v > 0) && last.participants >= 2 ? s : null;
    }, { timeoutMs: METRICS_TIMEOUT_MS, description: 'the call in /metrics' })
      .catch((err) => { throw new Error(`${err.message}; last: ${JSON.stringify(last)}`); });
    t.diagnostic(`scrape: ${scrape.size} series names, ${[...scrape.values()].reduce((n, v) => n + v.length, 0)} samples; ${JSON.stringify(last)}`);
    const processMetrics = [...scrape.keys()].filter((n) => n.startsWith('process_'));
    t.diagnostic(`process_* metrics exposed: ${processMetrics.length ? processMetrics.join(', ') : 'none'}`);
  });

  check('every dashboard expression names exposed metrics and labels', async (t) => {
    const expressions = dashboardExpressions(dashboard);
    assert.ok(expressions.length > 0, 'the dashboard has expressions');
    const problems = problemsOf(expressions, scrape);
    t.diagnostic(`${expressions.length} dashboard expressions checked`);
    assert.equal(problems.length, 0, `${DASHBOARD_PATH}:\n  ${problems.join('\n  ')}`);
  });

  check('every alert expression names exposed metrics and labels', async (t) => {
    const expressions = ruleExpressions(rules);
    assert.ok(expressions.length > 0, 'the rule file has expressions');
    const problems = problemsOf(expressions, scrape);
    t.diagnostic(`${expressions.length} alert expressions checked`);
    assert.equal(problems.length, 0, `${RULES_PATH}:\n  ${problems.join('\n  ')}`);
  });

  check('the check fails a metric, a label or a label value the server does not expose', async () => {
    const bogus = [
      { where: 'bogus metric', expr: 'sum(rate(myriad_bogus_packets_total{job=~"$job"}[$__rate_interval]))' },
      { where: 'bogus label', expr: 'sum by (room) (myriad_participants)' },
      { where: 'bogus value', expr: 'rate(myriad_packets_total{kind="vidoe"}[5m])' },
    ];
    const problems = problemsOf(bogus, scrape);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0], /myriad_bogus_packets_total is not exposed/);
    assert.match(problems[1], /grouping label room/);
    assert.match(problems[2], /kind="vidoe"/);
  });
});
