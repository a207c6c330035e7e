// What PromQL expressions refer to, and whether a /metrics scrape has it.
//
// Used by observability.test.mjs to check that the Grafana dashboard and the
// Prometheus alert rules (deploy/) name only metrics and labels a live server
// exposes. Not a PromQL parser: a tokenizer that knows where metric names and
// label names can stand.
//
//   extractPromQL(expr) -> {metrics, labels, selectors, grouping}
//     metrics:   metric names, in order of first appearance (identifiers not
//                followed by `(` that are no keyword, or __name__="..." in a
//                bare {...} selector);
//     labels:    every label name used in a matcher or in a by / without /
//                on / ignoring / group_left / group_right list;
//     selectors: [{metric, matchers: [{label, op, value}]}] (metric null for
//                a selector without a name);
//     grouping:  the label names of those lists.
//   Strings, range and subquery brackets ([5m], [$__rate_interval],
//   [1h:5m]), numbers, durations and Grafana variables ($x, ${x}) are
//   skipped.
//
//   parseExposition(text) -> Map name -> [{labels: {name: value}, value}]
//     every sample of the Prometheus text format, histogram _bucket / _sum /
//     _count and counter _total under the names as scraped.
//
//   checkReferences(expr, scrape) -> [problem strings]
//     metric names missing from the scrape, label names no sample of the
//     selector's metric carries (matchers) or no sample of any metric of the
//     expression carries (grouping lists), and values of = / =~ matchers no
//     sample has (skipped when they hold a Grafana variable). `job` and
//     `instance` (added by Prometheus) always pass, as do the series
//     Prometheus makes itself (`up`, scrape_*).

// Words that stand where a metric name could but are none. Functions and
// aggregation operators are recognised by the `(` after them; these are the
// ones that are not followed by one, or may not be (`sum by (x) (...)`).
const KEYWORDS = new Set([
  'and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left',
  'group_right', 'inf', 'nan', 'atan2',
]);
// Aggregation operators, which may be followed by `by (...)` / `without (...)`
// before their `(`.
const AGGREGATIONS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk',
  'quantile', 'limitk', 'limit_ratio',
]);
// Keywords followed by a parenthesised list of label names.
const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

// Series Prometheus adds to every target itself.
export const PROMETHEUS_SERIES = new Set([
  'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);
// Labels Prometheus attaches to every scraped sample.
export const TARGET_LABELS = new Set(['job', 'instance']);

const IDENTIFIER = /^[A-Za-z_:][A-Za-z0-9_:]*/;
// A number (decimal, exponent, hex) or a duration (5m, 1h30m, 250ms).
const NUMBER_OR_DURATION = /^(?:0x[0-9a-fA-F]+|(?:\d+(?:ms|[smhdwy]))+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const VARIABLE = /^\$(?:\{[^}]*\}|\[\[[^\]]*\]\]|[A-Za-z0-9_]+)/;
const OPERATORS = ['=~', '!~', '!=', '==', '>=', '<=', '=', '>', '<', '+', '-', '*', '/', '%', '^', '@'];

/** Tokens: {type: 'ident'|'string'|'number'|'var'|'punct'|'op'|'range', text, value?}. */
export function tokenize(expr) {
  const tokens = [];
  let i = 0;
  while (i < expr.length) {
    const rest = expr.slice(i);
    const c = expr[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '#') { // comment to the end of the line
      const end = expr.indexOf('\n', i);
      i = end < 0 ? expr.length : end + 1;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      let value = '';
      while (j < expr.length && expr[j] !== c) {
        if (expr[j] === '\\' && c !== '`' && j + 1 < expr.length) {
          const next = expr[j + 1];
          value += { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" }[next] ?? `\\${next}`;
          j += 2;
        } else {
          value += expr[j];
          j += 1;
        }
      }
      if (j >= expr.length) throw new Error(`unterminated string at ${i} in ${expr}`);
      tokens.push({ type: 'string', text: expr.slice(i, j + 1), value });
      i = j + 1;
    } else if (c === '[') { // range or subquery: durations, `:`, variables; nothing to check
      const end = expr.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated [ at ${i} in ${expr}`);
      tokens.push({ type: 'range', text: expr.slice(i, end + 1) });
      i = end + 1;
    } else if (c === '$') {
      const m = VARIABLE.exec(rest);
      if (!m) throw new Error(`bad variable at ${i} in ${expr}`);
      tokens.push({ type: 'var', text: m[0] });
      i += m[0].length;
    } else if (/[0-9.]/.test(c) && NUMBER_OR_DURATION.test(rest)) {
      const m = NUMBER_OR_DURATION.exec(rest);
      tokens.push({ type: 'number', text: m[0] });
      i += m[0].length;
    } else if (IDENTIFIER.test(rest)) {
      const m = IDENTIFIER.exec(rest);
      tokens.push({ type: 'ident', text: m[0] });
      i += m[0].length;
    } else if ('(){},'.includes(c)) {
      tokens.push({ type: 'punct', text: c });
      i += 1;
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw new Error(`unexpected ${JSON.stringify(c)} at ${i} in ${expr}`);
      tokens.push({ type: 'op', text: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Label matchers from tokens[start] === '{' to its '}': {matchers, next}. */
function parseMatchers(tokens, start, expr) {
  const matchers = [];
  let i = start + 1;
  while (i < tokens.length && tokens[i].text !== '}') {
    const name = tokens[i];
    const op = tokens[i + 1];
    const value = tokens[i + 2];
    if (!name || (name.type !== 'ident') || !op || !['=', '!=', '=~', '!~'].includes(op.text)
        || !value || (value.type !== 'string' && value.type !== 'var')) {
      throw new Error(`bad label matcher near token ${i} in ${expr}`);
    }
    matchers.push({ label: name.text, op: op.text, value: value.type === 'string' ? value.value : value.text });
    i += 3;
    if (tokens[i] && tokens[i].text === ',') i += 1;
  }
  if (i >= tokens.length) throw new Error(`unterminated { in ${expr}`);
  return { matchers, next: i + 1 };
}

function pushUnique(list, item) {
  if (!list.includes(item)) list.push(item);
}

export function extractPromQL(expr) {
  const tokens = tokenize(expr);
  const metrics = [];
  const labels = [];
  const grouping = [];
  const selectors = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    const next = tokens[i + 1];
    if (t.type === 'ident' && GROUPING_KEYWORDS.has(t.text.toLowerCase())) {
      // by (a, b) / group_left (c); group_left may also stand without a list.
      if (next && next.text === '(') {
        let j = i + 2;
        while (j < tokens.length && tokens[j].text !== ')') {
          if (tokens[j].type === 'ident') {
            pushUnique(grouping, tokens[j].text);
            pushUnique(labels, tokens[j].text);
          } else if (tokens[j].text !== ',') {
            throw new Error(`bad label list after ${t.text} in ${expr}`);
          }
          j += 1;
        }
        if (j >= tokens.length) throw new Error(`unterminated label list after ${t.text} in ${expr}`);
        i = j + 1;
      } else {
        i += 1;
      }
    } else if (t.type === 'ident' && next && next.text === '(') {
      i += 1; // a function or an aggregation operator
    } else if (t.type === 'ident' && AGGREGATIONS.has(t.text.toLowerCase()) && next && next.type === 'ident'
               && ['by', 'without'].includes(next.text.toLowerCase())) {
      i += 1; // sum by (a) (...)
    } else if (t.type === 'ident' && KEYWORDS.has(t.text.toLowerCase())) {
      i += 1;
    } else if (t.type === 'ident') {
      const selector = { metric: t.text, matchers: [] };
      i += 1;
      if (tokens[i] && tokens[i].text === '{') {
        const parsed = parseMatchers(tokens, i, expr);
        selector.matchers = parsed.matchers;
        i = parsed.next;
      }
      pushUnique(metrics, selector.metric);
      selectors.push(selector);
    } else if (t.text === '{') { // a selector without a name: {__name__="x", ...}
      const parsed = parseMatchers(tokens, i, expr);
      const name = parsed.matchers.find((m) => m.label === '__name__' && m.op === '=');
      const selector = { metric: name ? name.value : null, matchers: parsed.matchers.filter((m) => m.label !== '__name__') };
      if (selector.metric) pushUnique(metrics, selector.metric);
      selectors.push(selector);
      i = parsed.next;
    } else {
      i += 1;
    }
  }
  for (const s of selectors) for (const m of s.matchers) pushUnique(labels, m.label);
  return { metrics, labels, selectors, grouping };
}

/** The samples of a Prometheus text exposition: Map name -> [{labels, value}]. */
export function parseExposition(text) {
  const samples = new Map();
  for (const [lineNumber, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = IDENTIFIER.exec(line);
    if (!name) throw new Error(`line ${lineNumber + 1}: no metric name: ${raw}`);
    let i = name[0].length;
    const labels = {};
    if (line[i] === '{') {
      i += 1;
      for (;;) {
        while (line[i] === ' ' || line[i] === ',') i += 1;
        if (line[i] === '}') {
          i += 1;
          break;
        }
        const label = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i));
        if (!label || line[i + label[0].length] !== '=' || line[i + label[0].length + 1] !== '"') {
          throw new Error(`line ${lineNumber + 1}: bad label at column ${i}: ${raw}`);
        }
        i += label[0].length + 2;
        let value = '';
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\') {
            value += { n: '\n', '\\': '\\', '"': '"' }[line[i + 1]] ?? line[i + 1];
            i += 2;
          } else {
            value += line[i];
            i += 1;
          }
        }
        if (i >= line.length) throw new Error(`line ${lineNumber + 1}: unterminated label value: ${raw}`);
        i += 1;
        labels[label[0]] = value;
      }
    }
    const fields = line.slice(i).trim().split(/\s+/);
    const value = Number(fields[0]);
    if (fields[0] === undefined || fields[0] === '' || (Number.isNaN(value) && fields[0] !== 'NaN')) {
      throw new Error(`line ${lineNumber + 1}: bad value: ${raw}`);
    }
    if (!samples.has(name[0])) samples.set(name[0], []);
    samples.get(name[0]).push({ labels, value });
  }
  return samples;
}

function hasVariable(value) {
  return /\$/.test(value);
}

/**
 * What in `expr` the scrape (parseExposition's Map) does not have, as
 * human-readable problems; [] when everything resolves.
 */
export function checkReferences(expr, scrape) {
  const problems = [];
  let refs;
  try {
    refs = extractPromQL(expr);
  } catch (err) {
    return [`cannot read: ${err.message}`];
  }
  const known = (metric) => PROMETHEUS_SERIES.has(metric) || scrape.has(metric);
  for (const metric of refs.metrics) {
    if (!known(metric)) problems.push(`metric ${metric} is not exposed by the server`);
  }
  if (refs.metrics.length === 0) problems.push('refers to no metric');
  const labelsOf = (metric) => new Set((scrape.get(metric) || []).flatMap((s) => Object.keys(s.labels)));
  for (const { metric, matchers } of refs.selectors) {
    if (!metric || !scrape.has(metric)) continue;
    const samples = scrape.get(metric);
    const present = labelsOf(metric);
    for (const { label, op, value } of matchers) {
      if (TARGET_LABELS.has(label)) continue;
      if (!present.has(label)) {
        problems.push(`label ${label} is on no sample of ${metric} (it has: ${[...present].join(', ') || 'none'})`);
        continue;
      }
      if (hasVariable(value)) continue;
      const values = new Set(samples.map((s) => s.labels[label]).filter((v) => v !== undefined));
      if (op === '=' && !values.has(value)) {
        problems.push(`no sample of ${metric} has ${label}="${value}" (it has: ${[...values].join(', ')})`);
      } else if (op === '=~') {
        const re = new RegExp(`^(?:${value})$`);
        if (![...values].some((v) => re.test(v))) {
          problems.push(`no sample of ${metric} has ${label} matching ${value} (it has: ${[...values].join(', ')})`);
        }
      }
    }
  }
  const exposed = refs.metrics.filter((m) => scrape.has(m));
  const anyLabels = new Set(exposed.flatMap((m) => [...labelsOf(m)]));
  for (const label of refs.grouping) {
    if (TARGET_LABELS.has(label)) continue;
    if (exposed.length > 0 && !anyLabels.has(label)) {
      problems.push(`grouping label ${label} is on no sample of ${exposed.join(', ')}`);
    }
  }
  return problems;
}

/**
 * The PromQL of a Grafana dashboard: every panel target's `expr` (rows'
 * nested panels included) and the query variables, as {where, expr}.
 * A `label_values(selector, label)` variable query gives its selector, and
 * the label as `group by (label) (selector)` so that the label is checked.
 */
export function dashboardExpressions(dashboard) {
  const out = [];
  const visit = (panels, path) => {
    for (const panel of panels || []) {
      const where = `${path}panel ${panel.id} "${panel.title}"`;
      for (const target of panel.targets || []) {
        if (typeof target.expr === 'string') out.push({ where: `${where} target ${target.refId}`, expr: target.expr });
      }
      if (panel.panels) visit(panel.panels, `${where} > `);
    }
  };
  visit(dashboard.panels, '');
  for (const variable of (dashboard.templating && dashboard.templating.list) || []) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query && variable.query.query) || '';
    const where = `variable ${variable.name}`;
    const labelValues = /^\s*label_values\(\s*(.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
    const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
    if (labelValues) out.push({ where, expr: `group by (${labelValues[2]}) (${labelValues[1]})` });
    else if (queryResult) out.push({ where, expr: queryResult[1] });
    else out.push({ where, expr: query }); // anything else is checked as PromQL
  }
  return out;
}

/** The `expr` of every rule of a Prometheus rule file (parsed YAML), as {where, expr}. */
export function ruleExpressions(rules) {
  const out = [];
  for (const group of (rules && rules.groups) || []) {
    for (const rule of group.rules || []) {
      const where = `group ${group.name} ${rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`}`;
      out.push({ where, expr: String(rule.expr) });
    }
  }
  return out;
}
