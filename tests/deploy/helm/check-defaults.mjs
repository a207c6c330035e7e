// The chart's `config` value against the server's own defaults.
//
//   node check-defaults.mjs MERGED_VALUES.json VALUES_SCHEMA.json CONFIG_MYRIAD.json
//
// config/myriad.json holds every option of the server with its default (a
// unit test of the server keeps it so). The chart must follow it:
//   - every option is in values.yaml's `config` with the same default, except
//     the options the chart sets itself (through the environment), which must
//     not be there;
//   - values.yaml's `config` has no key the server does not know;
//   - values.schema.json lists exactly the server's options under `config`
//     (so a new option cannot be rejected as unknown, nor a removed one pass).
// Prints "  ok: ..." lines; failures print "FAIL: ..." lines and exit 1.

import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";

// Set by the chart from other values; see values.yaml and templates/_helpers.tpl.
const CHART_OWNED = new Set([
  "http.listen_address",
  "http.web_root",
  "media.listen_address",
  "media.announced_address",
  "media.workers",
  "auth.keys",
  "auth.keys_file",
]);
// Top-level keys whose value is one map (not a section of options).
const MAPS = new Set(["room_overrides"]);

const [valuesFile, schemaFile, serverFile] = process.argv.slice(2);
if (!serverFile) {
  console.error("usage: node check-defaults.mjs MERGED_VALUES.json VALUES_SCHEMA.json CONFIG_MYRIAD.json");
  process.exit(2);
}
const values = JSON.parse(readFileSync(valuesFile, "utf8")).config ?? {};
const schema = JSON.parse(readFileSync(schemaFile, "utf8")).properties?.config;
const server = JSON.parse(readFileSync(serverFile, "utf8"));

// options(config): [path, value] of each option: "section.key", or a map's name.
function options(config) {
  const out = [];
  for (const [section, body] of Object.entries(config)) {
    if (MAPS.has(section) || body === null || typeof body !== "object" || Array.isArray(body)) {
      out.push([section, body]);
    } else {
      for (const [key, value] of Object.entries(body)) out.push([`${section}.${key}`, value]);
    }
  }
  return out;
}

function schemaOptions(config) {
  const out = [];
  for (const [section, body] of Object.entries(config?.properties ?? {})) {
    if (MAPS.has(section) || !body.properties) out.push(section);
    else for (const key of Object.keys(body.properties)) out.push(`${section}.${key}`);
  }
  return out;
}

const problems = [];
const serverOptions = new Map(options(server));
const chartOptions = new Map(options(values));

for (const [path, value] of serverOptions) {
  if (CHART_OWNED.has(path)) {
    if (chartOptions.has(path)) problems.push(`values.yaml config.${path}: the chart sets it; it must not be in config`);
  } else if (!chartOptions.has(path)) {
    problems.push(`values.yaml config.${path} is missing (config/myriad.json has it: ${JSON.stringify(value)})`);
  } else if (!isDeepStrictEqual(chartOptions.get(path), value)) {
    problems.push(`values.yaml config.${path} is ${JSON.stringify(chartOptions.get(path))}, config/myriad.json has ${JSON.stringify(value)}`);
  }
}
for (const path of chartOptions.keys()) {
  if (!serverOptions.has(path)) problems.push(`values.yaml config.${path}: not an option of the server (config/myriad.json)`);
}
for (const path of CHART_OWNED) {
  if (!serverOptions.has(path)) problems.push(`check-defaults.mjs: the chart-owned option ${path} is not in config/myriad.json any more`);
}

if (!schema) {
  problems.push("values.schema.json has no properties.config");
} else {
  if (schema.additionalProperties !== false) problems.push("values.schema.json: config must not allow unknown sections");
  const listed = new Set(schemaOptions(schema));
  for (const path of serverOptions.keys()) {
    if (!listed.has(path)) problems.push(`values.schema.json does not list config.${path}: the option would be rejected`);
  }
  for (const path of listed) {
    if (!serverOptions.has(path)) problems.push(`values.schema.json lists config.${path}, which the server does not have`);
  }
  for (const [section, body] of Object.entries(schema.properties ?? {})) {
    if (!MAPS.has(section) && body.properties && body.additionalProperties !== false) {
      problems.push(`values.schema.json: config.${section} must not allow unknown keys`);
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`FAIL: ${p}`);
  process.exit(1);
}
const owned = [...CHART_OWNED].filter((p) => serverOptions.has(p)).length;
console.log(`  ok: values.yaml config = config/myriad.json's ${serverOptions.size - owned} options with their defaults (+ ${owned} set by the chart); values.schema.json lists exactly them`);
