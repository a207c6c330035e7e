// Validates Kubernetes manifests offline against the API's own schemas.
//
//   node validate.mjs MANIFESTS.yaml...
//
// Each YAML document (read as Kubernetes reads YAML: 1.1 rules, via `yaml`)
// is checked with the JSON-schema validator that kubernetes-models generates
// from the Kubernetes OpenAPI spec (core and apps kinds), or from the
// Prometheus Operator CRDs (@kubernetes-models/prometheus-operator) for
// ServiceMonitor and PodMonitor:
//   - wrong types, missing required fields, bad enums and formats (int32,
//     quantities, base64) fail, as the compiled schema reports them;
//   - unknown fields fail too (what `kubectl --validate=strict` rejects). The
//     generated validators do not check for them, so each object is handed to
//     the validator behind a Proxy that records which property names the
//     schema reads: a schema with properties reads every one of them; a map
//     (labels, annotations, data) is enumerated; a free-form object (no
//     properties) is neither. A key of an object with properties that the
//     validator never read is not in the schema.
//   - a few rules the API server enforces beyond the OpenAPI schema: object
//     names, label keys and values, selector vs. pod labels, container port
//     names, hostPort = containerPort under hostNetwork, probe and Service
//     ports naming existing container ports, mounts naming volumes.
// The modules come from tests/e2e/node_modules (see helm-test.sh, which runs
// this file from a directory whose node_modules links there).
// Prints one line per valid manifest; exits 1 with every problem otherwise.

import { existsSync, readFileSync } from "node:fs";
import { runValidateFunc } from "@kubernetes-models/validate";
import { parseAllDocuments } from "yaml";

// apiVersion -> the package holding its models ("v1" is the core group).
const PACKAGES = [
  { match: (group) => group === "monitoring.coreos.com", pkg: "@kubernetes-models/prometheus-operator" },
  { match: () => true, pkg: "kubernetes-models" },
];

// The compiled schema function of apiVersion/kind: the one the model class's
// module imports from its package's _schemas/ folder.
async function schemaFunction(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (!/^[A-Za-z0-9.-]*$/.test(group) || !/^v[0-9a-z]+$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`not a Kubernetes apiVersion/kind: ${apiVersion} ${kind}`);
  }
  const { pkg } = PACKAGES.find((p) => p.match(group));
  const modelPath = [pkg, group, version, kind].filter(Boolean).join("/");
  let modelUrl;
  try {
    // A subpath pattern resolves whether or not the file exists: check it.
    modelUrl = import.meta.resolve(modelPath);
    if (!existsSync(new URL(modelUrl))) modelUrl = undefined;
  } catch {}
  if (!modelUrl) throw new Error(`no schema for ${apiVersion} ${kind} (${modelPath} not found): an unknown kind or API version`);
  // Imported by file URL, relative to the model's module: not every package
  // exports its _schemas/ folder.
  const match = /from\s*"(\.{1,2}\/[^"]*_schemas\/[A-Za-z0-9]+\.js)"/.exec(readFileSync(new URL(modelUrl), "utf8"));
  if (!match) throw new Error(`${modelPath}: cannot find its schema module`);
  const mod = await import(new URL(match[1], modelUrl).href);
  return mod.validate;
}

// wrap(value): value behind a Proxy recording, for each object, the property
// names read and whether its keys were enumerated. Children are wrapped as
// they are read. `records` collects one entry per wrapped object.
function wrapper(records) {
  return function wrap(value, path) {
    if (value === null || typeof value !== "object") return value;
    const record = { path, value, read: new Set(), enumerated: false };
    records.push(record);
    const children = new Map();
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key !== "string") return Reflect.get(target, key, receiver);
        record.read.add(key);
        if (!Object.hasOwn(target, key)) return Reflect.get(target, key, receiver);
        if (!children.has(key)) children.set(key, wrap(target[key], `${path}/${key}`));
        return children.get(key);
      },
      has(target, key) {
        if (typeof key === "string") record.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        record.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
  };
}

function unknownFields(records) {
  const unknown = [];
  for (const r of records) {
    if (Array.isArray(r.value) || r.enumerated || r.read.size === 0) continue;
    for (const key of Object.keys(r.value)) {
      if (!r.read.has(key)) unknown.push(`${r.path || "/"}: unknown field "${key}"`);
    }
  }
  return unknown;
}

// --- Rules of the API server beyond the schema ---------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function checkLabels(labels, where, problems) {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : "";
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (slash >= 0 && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
      problems.push(`${where}: label key "${key}": bad prefix`);
    }
    if (name.length > 63 || !LABEL_NAME.test(name)) problems.push(`${where}: label key "${key}" is not a valid name`);
    if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push(`${where}: label "${key}": value ${JSON.stringify(value)} is not a valid label value`);
    }
  }
}

// IANA_SVC_NAME: what a container port's name must be.
function validPortName(name) {
  return name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && /[a-z]/.test(name) && !name.includes("--");
}

function checkPodSpec(spec, where, problems) {
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const at = `${where}/containers[${c.name}]`;
    const portNames = new Map();
    for (const p of c.ports ?? []) {
      if (p.name !== undefined) {
        if (!validPortName(p.name)) problems.push(`${at}: port name "${p.name}" is not an IANA service name (<= 15 of a-z 0-9 -)`);
        if (portNames.has(p.name)) problems.push(`${at}: port name "${p.name}" is used twice`);
        portNames.set(p.name, p);
      }
      if (spec.hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
        problems.push(`${at}: hostNetwork pods need hostPort = containerPort, got ${p.hostPort} for ${p.containerPort}`);
      }
    }
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (typeof port === "string" && !portNames.has(port)) problems.push(`${at}: ${probe} names the port "${port}", which the container does not declare`);
    }
    for (const e of c.env ?? []) {
      if (!ENV_NAME.test(e.name)) problems.push(`${at}: env name "${e.name}" is invalid`);
      if (e.value !== undefined && e.valueFrom !== undefined) problems.push(`${at}: env ${e.name} has both value and valueFrom`);
    }
    for (const m of c.volumeMounts ?? []) {
      if (!volumes.has(m.name)) problems.push(`${at}: volumeMount "${m.name}" names no volume`);
    }
  }
}

function apiServerRules(doc, problems) {
  const where = `${doc.kind}/${doc.metadata?.name}`;
  const name = doc.metadata?.name ?? "";
  const nameRule = doc.kind === "Service" ? DNS1035_LABEL : doc.kind === "Namespace" ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  const maxName = doc.kind === "Service" || doc.kind === "Namespace" ? 63 : 253;
  if (!name || name.length > maxName || !nameRule.test(name)) problems.push(`${where}: metadata.name "${name}" is not a valid ${doc.kind} name`);
  checkLabels(doc.metadata?.labels, `${where} metadata.labels`, problems);
  const template = doc.spec?.template;
  if (["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"].includes(doc.kind) && template) {
    const podLabels = template.metadata?.labels ?? {};
    checkLabels(podLabels, `${where} pod labels`, problems);
    const selector = doc.spec.selector?.matchLabels ?? {};
    checkLabels(selector, `${where} selector`, problems);
    if (Object.keys(selector).length === 0) problems.push(`${where}: empty selector`);
    for (const [k, v] of Object.entries(selector)) {
      if (podLabels[k] !== v) problems.push(`${where}: selector ${k}=${v} does not match the pod template's labels`);
    }
    checkPodSpec(template.spec ?? {}, `${where} pod`, problems);
  }
  if (doc.kind === "Service") {
    checkLabels(doc.spec?.selector, `${where} selector`, problems);
    for (const p of doc.spec?.ports ?? []) {
      if (typeof p.targetPort === "string" && !validPortName(p.targetPort)) problems.push(`${where}: targetPort "${p.targetPort}" is not a port name`);
    }
  }
}

// --- Main ----------------------------------------------------------------------

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs MANIFESTS.yaml...");
  process.exit(2);
}
let failed = false;
let count = 0;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
  for (const [index, parsed] of docs.entries()) {
    const label = `${file} document ${index + 1}`;
    if (parsed.errors.length) {
      console.error(`FAIL: ${label}: YAML: ${parsed.errors.map((e) => e.message).join("; ")}`);
      failed = true;
      continue;
    }
    const doc = parsed.toJS();
    if (doc === null || doc === undefined) continue; // an empty document
    const problems = [];
    if (typeof doc !== "object" || Array.isArray(doc) || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
      console.error(`FAIL: ${label}: not a Kubernetes object (apiVersion and kind are required)`);
      failed = true;
      continue;
    }
    const name = `${doc.kind}/${doc.metadata?.name ?? "?"} (${doc.apiVersion})`;
    try {
      const validate = await schemaFunction(doc.apiVersion, doc.kind);
      const records = [];
      try {
        runValidateFunc(validate, wrapper(records)(doc, ""));
      } catch (err) {
        if (!err.errors) throw err;
        problems.push(`schema: ${err.message}`);
      }
      problems.push(...unknownFields(records));
    } catch (err) {
      problems.push(err.message);
    }
    // They assume well-typed objects.
    if (problems.length === 0) apiServerRules(doc, problems);
    if (problems.length) {
      failed = true;
      for (const p of problems) console.error(`FAIL: ${label}, ${name}: ${p}`);
    } else {
      count++;
      console.log(`valid: ${name}`);
    }
  }
}
if (failed) process.exit(1);
if (count === 0) {
  console.error("FAIL: no manifests to validate");
  process.exit(1);
}
