// Unit checks of lib/promql.mjs (no server, no browser): the PromQL
// reference extractor, the exposition parser and the reference checker that
// observability.test.mjs runs over deploy/grafana and deploy/prometheus.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkReferences, dashboardExpressions, extractPromQL, parseExposition, ruleExpressions,
} from './lib/promql.mjs';

const names = (expr) => extractPromQL(expr).metrics;
const labels = (expr) => extractPromQL(expr).labels;

describe('extractPromQL', () => {
  it('an aggregation with by, a negative matcher and a range', () => {
    const expr = 'sum by (reason) (rate(myriad_dropped_packets_total{reason!="muted"}[5m]))';
    assert.deepEqual(names(expr), ['myriad_dropped_packets_total']);
    assert.deepEqual(labels(expr), ['reason']);
    assert.deepEqual(extractPromQL(expr).selectors, [
      { metric: 'myriad_dropped_packets_total', matchers: [{ label: 'reason', op: '!=', value: 'muted' }] },
    ]);
  });

  it('histogram_quantile over buckets, Grafana variables, by after the aggregation', () => {
    const expr = 'histogram_quantile(0.99, sum(rate(myriad_control_mute_enforcement_seconds_bucket'
      + '{job=~"$job", instance=~"${instance}"}[$__rate_interval])) by (le, path))';
    assert.deepEqual(names(expr), ['myriad_control_mute_enforcement_seconds_bucket']);
    assert.deepEqual(extractPromQL(expr).grouping, ['le', 'path']);
    assert.deepEqual(labels(expr).sort(), ['instance', 'job', 'le', 'path']);
  });

  it('binary operators, keywords, numbers, durations, offset, on/group_left, strings', () => {
    const expr = `8 * sum without (kind) (rate(myriad_bytes_total{direction="out"}[1h30m] offset 5m))
      / on (instance) group_left (tier) max by (instance, tier) (myriad_simulcast_subscribers) > bool 1e-3
      and myriad_rooms unless count_values("v", myriad_participants) or vector(0) # a comment myriad_nope
      + sum_over_time(myriad_transports[10m:1m]) * Inf - NaN`;
    assert.deepEqual(names(expr), [
      'myriad_bytes_total', 'myriad_simulcast_subscribers', 'myriad_rooms', 'myriad_participants', 'myriad_transports',
    ]);
    assert.deepEqual(extractPromQL(expr).grouping, ['kind', 'instance', 'tier']);
  });

  it('a selector without a name, and up', () => {
    assert.deepEqual(names('{__name__="myriad_rooms", job="myriad"}'), ['myriad_rooms']);
    assert.deepEqual(labels('{__name__="myriad_rooms", job="myriad"}'), ['job']);
    assert.deepEqual(names('up{job="myriad"} == 0'), ['up']);
  });

  it('refuses what it cannot read', () => {
    assert.throws(() => extractPromQL('rate(myriad_rooms{job=}[5m])'), /bad label matcher/);
    assert.throws(() => extractPromQL('myriad_rooms{job="x"'), /unterminated|bad label matcher/);
    assert.throws(() => extractPromQL('sum(myriad_rooms) by (job'), /bad label list|unterminated/);
  });
});

const SCRAPE = `# HELP myriad_rooms Open rooms
# TYPE myriad_rooms gauge
myriad_rooms 2
# TYPE myriad_dropped_packets_total counter
myriad_dropped_packets_total{reason="muted"} 5
myriad_dropped_packets_total{reason="unknown_ssrc"} 0
# TYPE myriad_x_seconds histogram
myriad_x_seconds_count{path="websocket"} 1
myriad_x_seconds_sum{path="websocket"} 0.002
myriad_x_seconds_bucket{path="websocket",le="0.25"} 1
myriad_x_seconds_bucket{path="websocket",le="+Inf"} 1
myriad_escaped{text="a\\"b\\\\c"} NaN
`;

describe('parseExposition and checkReferences', () => {
  const scrape = parseExposition(SCRAPE);

  it('reads every sample under its name as scraped', () => {
    assert.deepEqual([...scrape.keys()], [
      'myriad_rooms', 'myriad_dropped_packets_total', 'myriad_x_seconds_count', 'myriad_x_seconds_sum',
      'myriad_x_seconds_bucket', 'myriad_escaped',
    ]);
    assert.deepEqual(scrape.get('myriad_x_seconds_bucket')[0], { labels: { path: 'websocket', le: '0.25' }, value: 1 });
    assert.equal(scrape.get('myriad_escaped')[0].labels.text, 'a"b\\c');
  });

  it('passes what exists', () => {
    assert.deepEqual(checkReferences('sum by (reason) (rate(myriad_dropped_packets_total{reason!="muted"}[5m]))', scrape), []);
    assert.deepEqual(checkReferences(
      'sum by (path) (rate(myriad_x_seconds_bucket{le="0.25",job=~"$job"}[5m])) / sum by (path) (rate(myriad_x_seconds_count[5m]))',
      scrape), []);
    assert.deepEqual(checkReferences('up{job="myriad"} == 0', scrape), []);
  });

  it('reports a missing metric, label, grouping label and label value', () => {
    assert.match(checkReferences('rate(myriad_bogus_total[5m])', scrape).join('\n'), /metric myriad_bogus_total is not exposed/);
    assert.match(checkReferences('myriad_rooms{room="a"}', scrape).join('\n'), /label room is on no sample of myriad_rooms/);
    assert.match(checkReferences('sum by (kind) (myriad_dropped_packets_total)', scrape).join('\n'), /grouping label kind/);
    assert.match(checkReferences('myriad_dropped_packets_total{reason="mutted"}', scrape).join('\n'), /reason="mutted"/);
    assert.match(checkReferences('myriad_dropped_packets_total{reason=~"mute.*x"}', scrape).join('\n'), /matching/);
    // The summary name of a histogram is no series of its own.
    assert.match(checkReferences('myriad_x_seconds', scrape).join('\n'), /myriad_x_seconds is not exposed/);
  });

  it('finds the expressions of a dashboard (nested rows, variables) and of a rule file', () => {
    const dashboard = {
      panels: [
        { id: 1, title: 'A', targets: [{ refId: 'A', expr: 'myriad_rooms' }] },
        { id: 2, type: 'row', title: 'R', panels: [{ id: 3, title: 'B', targets: [{ refId: 'A', expr: 'myriad_bogus' }] }] },
      ],
      templating: { list: [
        { type: 'datasource', name: 'datasource', query: 'prometheus' },
        { type: 'query', name: 'instance', query: { query: 'label_values(myriad_rooms{job=~"$job"}, instance)' } },
      ] },
    };
    const found = dashboardExpressions(dashboard);
    assert.deepEqual(found.map((e) => e.expr), ['myriad_rooms', 'myriad_bogus', 'group by (instance) (myriad_rooms{job=~"$job"})']);
    assert.match(found[1].where, /panel 2 "R" > panel 3 "B"/);
    const rules = { groups: [{ name: 'g', rules: [{ alert: 'X', expr: 'up == 0' }, { record: 'y', expr: 'myriad_rooms' }] }] };
    assert.deepEqual(ruleExpressions(rules), [
      { where: 'group g alert X', expr: 'up == 0' }, { where: 'group g record y', expr: 'myriad_rooms' },
    ]);
  });
});
