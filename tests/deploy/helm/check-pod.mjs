// Checks that the rendered chart runs the server it describes: the pod's
// container, as Kubernetes would start it from these manifests and the image,
// is handed to the real `myriad` binary.
//
//   node check-pod.mjs --bin MYRIAD --manifests RENDERED.yaml --containerfile FILE
//       --notes NOTES.txt --tmp DIR [--cluster EXTRA.yaml]... [--expect KEY=VALUE]...
//       [--expect-kind KIND] [--expect-mode hostNetwork|hostPort]
//
// The container is assembled as the kubelet would: the image's ENTRYPOINT/CMD
// and ENV (read from the Containerfile's last stage) under the pod's command,
// args and env; downward-API fields replaced by test addresses (status.hostIP
// = 192.0.2.10, a documentation address); ConfigMap and Secret volumes
// written out as the files the container would see. Then:
//   1. `myriad --check-config` accepts the mounted config with that
//      environment; its effective config (JSON on stdout) must agree with the
//      manifests: http.port = the container's http port = the Service's target
//      = both probes' port = the metrics port; media ports port_base ..
//      port_base + workers - 1 = the declared UDP ports (hostPort =
//      containerPort); listen addresses wildcards; the announced address;
//      terminationGracePeriodSeconds > preStop sleep + drain.grace_period_s;
//      the keys file (MYRIAD_AUTH_KEYS_FILE) is a mounted Secret readable by
//      the container's user, a JSON object of secrets of at least 32 bytes,
//      and the server loaded those keys; development mode exactly when NOTES
//      warns about it; NOTES.txt names the UDP ports to open; probe paths
//      /healthz and /livez; one pod per node; security context; CPU.
//   2. The same binary, config and environment are started on loopback
//      (listen and announced addresses 127.0.0.1, a free HTTP port, media
//      port_base 0): GET /healthz and GET /livez answer 200, and SIGTERM ends
//      it with status 0.
// --cluster adds objects that exist outside the chart (a Secret named by
// auth.existingSecret). --expect checks a key of the effective config.
// Prints "  ok: ..." lines; the first failure prints "FAIL: ..." and exits 1.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { dirname, join, posix } from "node:path";
import { parseAllDocuments } from "yaml";

// Documentation addresses (RFC 5737) standing in for what the downward API gives.
const HOST_IP = "192.0.2.10";
const POD_IP = "198.51.100.20";
const WILDCARDS = ["0.0.0.0", "::"];

// --- Arguments -----------------------------------------------------------------

const opts = { cluster: [], expect: [] };
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (i + 1 >= args.length) usage(`${a} needs a value`);
      return args[++i];
    };
    if (a === "--bin") opts.bin = value();
    else if (a === "--manifests") opts.manifests = value();
    else if (a === "--containerfile") opts.containerfile = value();
    else if (a === "--notes") opts.notes = value();
    else if (a === "--tmp") opts.tmp = value();
    else if (a === "--cluster") opts.cluster.push(value());
    else if (a === "--expect") opts.expect.push(value());
    else if (a === "--expect-kind") opts.expectKind = value();
    else if (a === "--expect-mode") opts.expectMode = value();
    else usage(`unknown argument ${a}`);
  }
  for (const k of ["bin", "manifests", "containerfile", "notes", "tmp"]) if (!opts[k]) usage(`--${k} is required`);
}

function usage(message) {
  console.error(`check-pod.mjs: ${message}`);
  process.exit(2);
}

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

function ok(message) {
  console.log(`  ok: ${message}`);
}

function check(condition, message) {
  if (!condition) fail(message);
}

// --- Manifests -----------------------------------------------------------------

function readObjects(file) {
  return parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1" })
    .map((d) => {
      if (d.errors.length) fail(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o && typeof o === "object");
}

const objects = readObjects(opts.manifests);
const clusterObjects = opts.cluster.flatMap(readObjects);
const all = [...objects, ...clusterObjects];
const byKind = (kind, from = objects) => from.filter((o) => o.kind === kind);
const named = (kind, name) => all.find((o) => o.kind === kind && o.metadata?.name === name);

const workloads = objects.filter((o) => ["Deployment", "DaemonSet"].includes(o.kind));
check(workloads.length === 1, `want one Deployment or DaemonSet, found ${workloads.length}`);
const workload = workloads[0];
if (opts.expectKind) check(workload.kind === opts.expectKind, `the workload is a ${workload.kind}, want ${opts.expectKind}`);
const pod = workload.spec.template.spec;
check(pod.containers?.length === 1, `want one container, found ${pod.containers?.length}`);
const container = pod.containers[0];
const where = `${workload.kind}/${workload.metadata.name} container ${container.name}`;
ok(`${where}: the server's pod`);

// --- The image (Containerfile, last stage) -------------------------------------

function imageOf(file) {
  const lines = readFileSync(file, "utf8").replace(/\\\n/g, " ").split("\n");
  const last = lines.map((l) => /^\s*FROM\s/i.test(l)).lastIndexOf(true);
  check(last >= 0, `${file}: no FROM`);
  const image = { env: {}, entrypoint: [], cmd: [], user: "" };
  const execForm = (text, what) => {
    try {
      const words = JSON.parse(text);
      if (Array.isArray(words)) return words;
    } catch {}
    fail(`${file}: ${what} is not in exec (JSON array) form: ${text}`);
  };
  for (const line of lines.slice(last + 1)) {
    const m = /^\s*(ENV|ENTRYPOINT|CMD|USER)\s+(.*?)\s*$/i.exec(line);
    if (!m) continue;
    const [, keyword, rest] = m;
    switch (keyword.toUpperCase()) {
      case "ENV":
        if (!rest.includes("=")) {
          const [name, ...value] = rest.split(/\s+/);
          image.env[name] = value.join(" ");
        } else {
          for (const word of rest.split(/\s+/)) {
            const eq = word.indexOf("=");
            check(eq > 0, `${file}: cannot read ENV ${rest}`);
            image.env[word.slice(0, eq)] = word.slice(eq + 1).replace(/^"(.*)"$/, "$1");
          }
        }
        break;
      case "ENTRYPOINT":
        image.entrypoint = execForm(rest, "ENTRYPOINT");
        image.cmd = []; // an ENTRYPOINT resets an inherited CMD
        break;
      case "CMD":
        image.cmd = execForm(rest, "CMD");
        break;
      case "USER":
        image.user = rest;
        break;
    }
  }
  return image;
}

const image = imageOf(opts.containerfile);

// --- The files the container sees ----------------------------------------------

// volumeFiles(volume): [name inside the volume, content, mode] of a ConfigMap
// or Secret volume.
function volumeFiles(volume) {
  let data;
  let defaultMode;
  if (volume.configMap) {
    const cm = named("ConfigMap", volume.configMap.name);
    check(cm, `volume ${volume.name}: no ConfigMap ${volume.configMap.name} (rendered or --cluster)`);
    data = { ...(cm.data ?? {}) };
    defaultMode = volume.configMap.defaultMode;
    volume = { items: volume.configMap.items };
  } else if (volume.secret) {
    const secret = named("Secret", volume.secret.secretName);
    check(secret, `volume ${volume.name}: no Secret ${volume.secret.secretName} (rendered or --cluster)`);
    data = {};
    for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = Buffer.from(v, "base64").toString("utf8");
    Object.assign(data, secret.stringData ?? {});
    defaultMode = volume.secret.defaultMode;
    volume = { items: volume.secret.items };
  } else {
    fail(`volume ${volume.name}: only configMap and secret volumes are emulated`);
  }
  const mode = defaultMode ?? 0o644;
  if (!volume.items) return Object.entries(data).map(([k, v]) => [k, v, mode]);
  return volume.items.map((item) => {
    check(item.key in data, `volume item ${item.key}: not in the ConfigMap/Secret`);
    return [item.path, data[item.key], item.mode ?? mode];
  });
}

// container path -> {content, mode, source: "configMap" | "secret"}
const files = new Map();
for (const mount of container.volumeMounts ?? []) {
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
  check(volume, `volumeMount ${mount.name}: no such volume`);
  const source = volume.configMap ? "configMap" : "secret";
  for (const [name, content, mode] of volumeFiles(volume)) {
    if (mount.subPath !== undefined) {
      if (name === mount.subPath) files.set(mount.mountPath, { content, mode, source });
    } else {
      files.set(posix.join(mount.mountPath, name), { content, mode, source });
    }
  }
}

// Each mounted file, written under TMP/root with its container path.
const root = join(opts.tmp, "root");
const hostPath = (containerPath) => join(root, containerPath);
for (const [path, f] of files) {
  mkdirSync(dirname(hostPath(path)), { recursive: true });
  writeFileSync(hostPath(path), f.content);
}

// --- The process: argv and environment -----------------------------------------

const argv = [...(container.command ?? image.entrypoint), ...(container.args ?? (container.command ? [] : image.cmd))];
check(argv.length > 0, `${where}: nothing to run (no command and no image ENTRYPOINT)`);
check(argv[0] === "/usr/local/bin/myriad", `${where}: runs ${argv[0]}, not the image's /usr/local/bin/myriad`);
check(argv.length === 3 && argv[1] === "--config", `${where}: runs ${JSON.stringify(argv)}; want myriad --config FILE`);
const configPath = argv[2];
const configFile = files.get(configPath);
check(configFile?.source === "configMap", `${where}: --config ${configPath} is not a file mounted from a ConfigMap`);
ok(`runs ${argv.join(" ")}: the ConfigMap's file, mounted there`);

// Environment as the kubelet builds it: the image's ENV, then the pod's env in
// order, valueFrom resolved, $(VAR) references expanded.
const env = { ...image.env };
const fieldValues = {
  "status.hostIP": HOST_IP,
  "status.podIP": pod.hostNetwork ? HOST_IP : POD_IP,
  "metadata.name": `${workload.metadata.name}-test`,
  "metadata.namespace": workload.metadata.namespace ?? "default",
  "spec.nodeName": "test-node",
};
check(!container.envFrom, `${where}: envFrom is not emulated`);
for (const e of container.env ?? []) {
  let value;
  if (e.valueFrom) {
    const from = e.valueFrom;
    if (from.fieldRef) {
      value = fieldValues[from.fieldRef.fieldPath];
      check(value !== undefined, `env ${e.name}: fieldRef ${from.fieldRef.fieldPath} is not emulated`);
    } else if (from.secretKeyRef || from.configMapKeyRef) {
      const ref = from.secretKeyRef ?? from.configMapKeyRef;
      const obj = named(from.secretKeyRef ? "Secret" : "ConfigMap", ref.name);
      check(obj, `env ${e.name}: no ${from.secretKeyRef ? "Secret" : "ConfigMap"} ${ref.name}`);
      value = obj.stringData?.[ref.key] ?? (obj.data?.[ref.key] !== undefined && from.secretKeyRef ? Buffer.from(obj.data[ref.key], "base64").toString() : obj.data?.[ref.key]);
      check(value !== undefined, `env ${e.name}: ${ref.name} has no key ${ref.key}`);
    } else {
      fail(`env ${e.name}: valueFrom ${Object.keys(from)} is not emulated`);
    }
  } else {
    value = (e.value ?? "").replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) =>
      m === "$$" ? "$" : name in env ? env[name] : m,
    );
  }
  env[e.name] = value;
}

// The variables as the server sees them on this machine: mounted paths mapped
// to the files written under TMP/root.
function hostEnv(extra = {}) {
  const out = { PATH: process.env.PATH };
  for (const [k, v] of Object.entries({ ...env, ...extra })) out[k] = files.has(v) ? hostPath(v) : v;
  return out;
}

// The config handed to the binary: the ConfigMap's file.
const configForBinary = hostPath(configPath);

// --- 1. --check-config ---------------------------------------------------------

const checked = spawnSync(opts.bin, ["--check-config", configForBinary], { env: hostEnv(), encoding: "utf8" });
check(
  checked.status === 0,
  `myriad --check-config ${configPath} with the container's environment exited ${checked.status}: ${(checked.stderr || checked.stdout).trim()}`,
);
let effective;
try {
  effective = JSON.parse(checked.stdout);
} catch {
  fail(`myriad --check-config printed no JSON effective config: ${checked.stdout.slice(0, 200)}`);
}
const shownEnv = Object.entries(env)
  .filter(([k]) => k.startsWith("MYRIAD_"))
  .map(([k, v]) => `${k}=${v}`)
  .join(" ");
ok(`myriad --check-config accepts the ConfigMap's myriad.json with the container's environment (${shownEnv})`);

const get = (obj, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
for (const e of opts.expect) {
  const eq = e.indexOf("=");
  const [key, want] = [e.slice(0, eq), e.slice(eq + 1)];
  const got = get(effective, key);
  check(String(got) === want, `effective ${key} is ${JSON.stringify(got)}, want ${want}`);
  ok(`effective ${key} = ${want}`);
}

// HTTP port: the container's, the Service's target, the probes', the metrics'.
const httpPort = effective.http.port;
const containerPorts = container.ports ?? [];
const portByName = new Map(containerPorts.filter((p) => p.name).map((p) => [p.name, p]));
const resolvePort = (port) => (typeof port === "string" ? portByName.get(port)?.containerPort : port);
const httpDecl = containerPorts.filter((p) => (p.protocol ?? "TCP") === "TCP");
check(httpDecl.length === 1 && httpDecl[0].containerPort === httpPort,
  `the container declares TCP ports ${JSON.stringify(httpDecl.map((p) => p.containerPort))}, the server listens on ${httpPort}`);
const services = byKind("Service");
check(services.length >= 1, "no Service");
for (const s of services) {
  const selector = s.spec.selector ?? {};
  const podLabels = workload.spec.template.metadata.labels ?? {};
  check(Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v),
    `Service ${s.metadata.name} does not select the pods`);
  for (const p of s.spec.ports) {
    const target = resolvePort(p.targetPort ?? p.port);
    check(target === httpPort, `Service ${s.metadata.name} port ${p.port} targets ${p.targetPort} = ${target}, the server listens on ${httpPort}`);
    check((p.protocol ?? "TCP") === "TCP", `Service ${s.metadata.name}: port ${p.port} is not TCP`);
  }
}
const readiness = container.readinessProbe?.httpGet;
const liveness = container.livenessProbe?.httpGet;
check(readiness && resolvePort(readiness.port) === httpPort && readiness.path === "/healthz",
  `readinessProbe: want GET /healthz on port ${httpPort}, got ${JSON.stringify(container.readinessProbe)}`);
check(liveness && resolvePort(liveness.port) === httpPort && liveness.path === "/livez",
  `livenessProbe: want GET /livez on port ${httpPort}, got ${JSON.stringify(container.livenessProbe)}`);
const annotations = workload.spec.template.metadata.annotations ?? {};
if (annotations["prometheus.io/scrape"] === "true") {
  check(annotations["prometheus.io/port"] === String(httpPort) && annotations["prometheus.io/path"] === "/metrics",
    `prometheus.io annotations: port ${annotations["prometheus.io/port"]} path ${annotations["prometheus.io/path"]}, want ${httpPort} /metrics`);
}
for (const sm of byKind("ServiceMonitor")) {
  for (const ep of sm.spec.endpoints) {
    const svcPort = services.flatMap((s) => s.spec.ports).find((p) => p.name === ep.port);
    check(svcPort && resolvePort(svcPort.targetPort) === httpPort && ep.path === "/metrics",
      `ServiceMonitor ${sm.metadata.name}: endpoint port ${ep.port} path ${ep.path} does not reach /metrics on ${httpPort}`);
  }
  check(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => services[0].metadata.labels?.[k] === v),
    `ServiceMonitor ${sm.metadata.name} does not select the Service`);
}
for (const pm of byKind("PodMonitor")) {
  for (const ep of pm.spec.podMetricsEndpoints) {
    check(resolvePort(ep.port) === httpPort && ep.path === "/metrics",
      `PodMonitor ${pm.metadata.name}: endpoint port ${ep.port} path ${ep.path} does not reach /metrics on ${httpPort}`);
  }
  const podLabels = workload.spec.template.metadata.labels ?? {};
  check(Object.entries(pm.spec.selector.matchLabels).every(([k, v]) => podLabels[k] === v), `PodMonitor ${pm.metadata.name} does not select the pods`);
}
ok(`http.port ${httpPort} = container port = Service targetPort = readiness GET /healthz = liveness GET /livez = metrics port`);

// Addresses.
check(WILDCARDS.includes(effective.http.listen_address) && WILDCARDS.includes(effective.media.listen_address),
  `listen addresses ${effective.http.listen_address} / ${effective.media.listen_address}: a pod must listen on a wildcard`);
check(!WILDCARDS.includes(effective.media.announced_address) && effective.media.announced_address,
  `media.announced_address is "${effective.media.announced_address}"`);
ok(`listens on ${effective.http.listen_address}, announces ${effective.media.announced_address}`);

// Media ports.
const workers = effective.media.workers;
const portBase = effective.media.port_base;
const udp = containerPorts.filter((p) => p.protocol === "UDP").map((p) => p.containerPort).sort((a, b) => a - b);
const want = Array.from({ length: workers }, (_, i) => portBase + i);
check(portBase > 0, `media.port_base is ${portBase}: ephemeral ports cannot be declared`);
check(JSON.stringify(udp) === JSON.stringify(want), `declared UDP ports ${JSON.stringify(udp)}, the server binds ${JSON.stringify(want)} (port_base ${portBase}, ${workers} workers)`);
for (const p of containerPorts.filter((p) => p.protocol === "UDP")) {
  check(pod.hostNetwork || p.hostPort === p.containerPort, `UDP port ${p.containerPort}: hostPort ${p.hostPort}; browsers are told ${p.containerPort}`);
  if (p.hostPort !== undefined) check(p.hostPort === p.containerPort, `UDP port ${p.containerPort}: hostPort ${p.hostPort} differs`);
}
const mode = pod.hostNetwork ? "hostNetwork" : "hostPort";
if (opts.expectMode) check(mode === opts.expectMode, `networking is ${mode}, want ${opts.expectMode}`);
if (pod.hostNetwork) check(pod.dnsPolicy === "ClusterFirstWithHostNet", `hostNetwork with dnsPolicy ${pod.dnsPolicy}: cluster names would not resolve`);
const notesText = readFileSync(opts.notes, "utf8");
check(notesText.includes(`UDP ${portBase}-${portBase + workers - 1}`), `NOTES.txt does not name the media ports to open (UDP ${portBase}-${portBase + workers - 1})`);
ok(`media: ${workers} workers on UDP ${portBase}-${portBase + workers - 1} = the declared ${mode === "hostNetwork" ? "ports (host network)" : "hostPorts"} = the firewall ports NOTES.txt names`);

// One pod per node.
if (workload.kind === "Deployment") {
  const terms = pod.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const podLabels = workload.spec.template.metadata.labels ?? {};
  check(terms.some((t) => t.topologyKey === "kubernetes.io/hostname" && Object.entries(t.labelSelector?.matchLabels ?? {}).every(([k, v]) => podLabels[k] === v)),
    "a Deployment without a required pod anti-affinity on kubernetes.io/hostname: two pods could share a node's ports");
  const strategy = workload.spec.strategy?.rollingUpdate;
  check(workload.spec.strategy?.type === "Recreate" || strategy?.maxSurge === 0 || strategy?.maxSurge === "0%",
    "a Deployment whose rollout surges: the new pod would need the old pod's node ports");
  ok("a Deployment: at most one pod per node (required anti-affinity), rollouts without surge");
} else {
  check(workload.spec.updateStrategy?.rollingUpdate?.maxSurge === 0 || workload.spec.updateStrategy?.type === "OnDelete",
    "a DaemonSet whose updates surge: two pods would need the node's ports");
  ok("a DaemonSet: one pod per node, updates without surge");
}

// Drain.
const preStop = container.lifecycle?.preStop?.exec?.command;
check(Array.isArray(preStop) && preStop.length === 2 && preStop[0] === "sleep" && /^[0-9]+$/.test(preStop[1]),
  `preStop: want exec ["sleep", "N"], got ${JSON.stringify(container.lifecycle?.preStop)}`);
const sleep = Number(preStop[1]);
const grace = effective.drain?.grace_period_s;
check(Number.isInteger(grace), `drain.grace_period_s: ${grace}`);
const termination = pod.terminationGracePeriodSeconds;
check(Number.isInteger(termination) && termination > sleep + grace,
  `terminationGracePeriodSeconds ${termination} must exceed preStop sleep ${sleep} + drain.grace_period_s ${grace}`);
ok(`terminationGracePeriodSeconds ${termination} > preStop sleep ${sleep} + drain.grace_period_s ${grace}`);
check(pod.enableServiceLinks === false, "enableServiceLinks is not false: Services named like myriad-http would inject MYRIAD_HTTP_* variables the server rejects");
ok("enableServiceLinks: false (no injected MYRIAD_<SERVICE>_* variables)");

// Keys.
const keysFile = env.MYRIAD_AUTH_KEYS_FILE;
const loadedKids = Object.keys(effective.auth.keys ?? {}).sort();
if (keysFile) {
  const f = files.get(keysFile);
  check(f?.source === "secret", `MYRIAD_AUTH_KEYS_FILE=${keysFile} is not a file mounted from a Secret`);
  let keys;
  try {
    keys = JSON.parse(f.content);
  } catch {
    fail(`${keysFile}: the Secret's file is not JSON`);
  }
  check(keys && typeof keys === "object" && !Array.isArray(keys) && Object.keys(keys).length > 0, `${keysFile}: not a JSON object of keys`);
  for (const [kid, secret] of Object.entries(keys)) {
    check(typeof secret === "string" && Buffer.byteLength(secret) >= 32, `${keysFile}: key ${kid} is not a string of at least 32 bytes`);
  }
  check(JSON.stringify(Object.keys(keys).sort()) === JSON.stringify(loadedKids), `the server loaded the keys ${loadedKids}, the Secret holds ${Object.keys(keys)}`);
  // Secret files belong to root; the group is fsGroup when the pod sets one.
  const sc = { ...(pod.securityContext ?? {}), ...(container.securityContext ?? {}) };
  const readable = (f.mode & 0o004) || (f.mode & 0o040 && pod.securityContext?.fsGroup !== undefined &&
    [sc.runAsGroup, ...(pod.securityContext?.supplementalGroups ?? [])].includes(pod.securityContext.fsGroup));
  check(readable, `${keysFile}: mode ${f.mode.toString(8)} is not readable by uid ${sc.runAsUser} gid ${sc.runAsGroup} (fsGroup ${pod.securityContext?.fsGroup})`);
  check(effective.auth.development === false, "keys configured, but auth.development is on");
  check(!/DEVELOPMENT MODE/.test(notesText), "NOTES.txt warns about development mode, but keys are configured");
  ok(`keys: MYRIAD_AUTH_KEYS_FILE=${keysFile} is the mounted Secret (mode ${f.mode.toString(8)}, readable by the container's group); keys ${loadedKids.join(", ")} of >= 32 bytes loaded; no development-mode warning`);
} else {
  check(loadedKids.length === 0, `no MYRIAD_AUTH_KEYS_FILE, yet the server has keys ${loadedKids}`);
  check(/DEVELOPMENT MODE/.test(notesText), "no keys (development mode) but NOTES.txt does not warn about it");
  ok("no keys: development mode, and NOTES.txt warns about it");
}

// Security context (container settings win over the pod's).
{
  const psc = pod.securityContext ?? {};
  const csc = container.securityContext ?? {};
  const eff = (k) => (csc[k] !== undefined ? csc[k] : psc[k]);
  const [imageUid, imageGid] = image.user.split(":").map(Number);
  check(eff("runAsNonRoot") === true, "runAsNonRoot is not true");
  check(eff("runAsUser") === imageUid && (Number.isNaN(imageGid) || eff("runAsGroup") === imageGid),
    `runs as ${eff("runAsUser")}:${eff("runAsGroup")}, the image's USER is ${image.user}`);
  check(csc.readOnlyRootFilesystem === true, "readOnlyRootFilesystem is not true");
  check(csc.allowPrivilegeEscalation === false, "allowPrivilegeEscalation is not false");
  check(csc.capabilities?.drop?.includes("ALL") && !(csc.capabilities?.add?.length), "capabilities: want drop [ALL] and nothing added");
  check(pod.automountServiceAccountToken === false, "the pod mounts a service account token it never uses");
  ok(`security: uid/gid ${eff("runAsUser")}:${eff("runAsGroup")} = the image's USER, non-root, read-only root, no privilege escalation, no capabilities, no API token`);
}

// Resources: a CPU limit below the worker count would throttle the media threads.
{
  const res = container.resources ?? {};
  const millicores = (q) => (q === undefined ? undefined : String(q).endsWith("m") ? Number(String(q).slice(0, -1)) : Number(q) * 1000);
  const req = millicores(res.requests?.cpu);
  const lim = millicores(res.limits?.cpu);
  check(req !== undefined && req > 0, "no CPU request");
  check(lim === undefined || (lim >= workers * 1000 && lim >= req), `CPU limit ${res.limits?.cpu} is below ${workers} workers' cores or the request`);
  ok(`CPU: request ${res.requests.cpu}, limit ${res.limits?.cpu ?? "none"} (${workers} media workers)`);
}

// --- 2. The server, started --------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function httpGet(port, path) {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET", timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));
const port = await freePort();
const logFile = join(opts.tmp, "server.log");
const log = [];
const server = spawn(opts.bin, ["--config", configForBinary], {
  env: hostEnv({
    MYRIAD_HTTP_LISTEN_ADDRESS: "127.0.0.1",
    MYRIAD_MEDIA_LISTEN_ADDRESS: "127.0.0.1",
    MYRIAD_MEDIA_ANNOUNCED_ADDRESS: "127.0.0.1",
    MYRIAD_MEDIA_PORT_BASE: "0",
    MYRIAD_HTTP_PORT: String(port),
  }),
  stdio: ["ignore", "pipe", "pipe"],
});
server.stdout.on("data", (d) => log.push(d));
server.stderr.on("data", (d) => log.push(d));
let exited = null;
const exitPromise = new Promise((resolve) => server.on("exit", (code, signal) => resolve((exited = { code, signal }))));
// The server never outlives this script, whichever way it ends.
process.on("exit", () => exited === null && server.kill("SIGKILL"));
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => process.exit(1));
const serverFail = (message) => {
  writeFileSync(logFile, Buffer.concat(log));
  if (exited === null) server.kill("SIGKILL");
  fail(`${message}\n--- server output (${logFile}), last lines:\n${Buffer.concat(log).toString().split("\n").slice(-15).join("\n")}`);
};

let status = 0;
for (let i = 0; i < 100 && exited === null; i++) {
  status = await httpGet(port, "/healthz");
  if (status === 200) break;
  await sleepMs(100);
}
if (status !== 200) serverFail(`the server started with the pod's config and environment: GET /healthz gave ${status || "no answer"} (exited: ${JSON.stringify(exited)})`);
ok(`the server runs with the pod's config and environment (on 127.0.0.1:${port}): GET /healthz 200`);
const live = await httpGet(port, "/livez");
if (live !== 200) serverFail(`GET /livez gave ${live || "no answer"}`);
ok("GET /livez 200");
server.kill("SIGTERM");
let timer;
const result = await Promise.race([
  exitPromise,
  new Promise((resolve) => (timer = setTimeout(() => resolve(null), Math.min(termination, 20) * 1000))),
]);
clearTimeout(timer);
if (result === null) serverFail(`SIGTERM: the server (no rooms to drain) was still running after ${Math.min(termination, 20)} s`);
if (result.code !== 0) serverFail(`SIGTERM: the server exited with ${JSON.stringify(result)}, want status 0`);
ok("SIGTERM: the server exits with status 0 (nothing to drain)");
