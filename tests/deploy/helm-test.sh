#!/usr/bin/env bash
# The Helm chart deploy/helm/myriad, rendered and checked offline: no helm, no
# cluster, no container engine, no network (except npm's registry when
# tests/e2e/node_modules lacks the schema packages).
#   1. tests/deploy/helm/render (Go, built here from Debian's sprig, sigs.k8s.io/yaml
#      and gojsonschema packages) renders the chart as `helm template` does, for the
#      default values and each tests/deploy/helm/values-*.yaml;
#   2. each rendering passes yamllint (tests/deploy/helm/yamllint.yaml);
#   3. each manifest validates against the Kubernetes (and Prometheus Operator)
#      schemas, unknown fields included (validate.mjs, kubernetes-models);
#   4. the pod, assembled as the kubelet would from the manifests and the image's
#      Containerfile, runs the real server: `myriad --check-config` accepts it and
#      its effective config matches the declared ports, probes, drain timing, keys
#      and addresses; then the server is started on loopback and answers
#      /healthz and /livez (check-pod.mjs);
#   5. values.yaml's `config` and values.schema.json follow config/myriad.json
#      (check-defaults.mjs); a changed config or key set changes the pods'
#      checksum annotations;
#   6. broken value sets (tests/deploy/helm/invalid/*.yaml, each naming the error it
#      must produce) fail to render with that error, and broken manifests fail
#      validation.
# Usage: helm-test.sh PATH/TO/myriad
# Stops at the first failure, with a line starting "FAIL:".
set -euo pipefail

BIN=${1:?usage: helm-test.sh PATH/TO/myriad}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CHART=$REPO/deploy/helm/myriad
HERE=$REPO/tests/deploy/helm
E2E=$REPO/tests/e2e
CONTAINERFILE=$REPO/deploy/container/Containerfile
RELEASE=myriad

# TMP, checks, fail, ok, note, section.
# shellcheck source=tests/deploy/report.sh
source "$(dirname "$0")/report.sh"
# count_ok: counts the "  ok:" lines a helper printed as checks.
count_ok() {
  local out=$1
  echo "$out"
  checks=$((checks + $(grep -c '^  ok:' <<<"$out" || true)))
}

[[ -x $BIN ]] || fail "$BIN is not an executable"
BIN=$(realpath "$BIN")
for tool in go node yamllint; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --test installs it)"
done
echo "binary: $BIN"
echo "chart: $CHART"

# Capture first: with pipefail, `--help | grep -q` fails whenever grep exits
# at its match before the binary has written the rest (SIGPIPE).
help_text=$("$BIN" --help) || fail "$BIN --help failed"
grep -q MYRIAD_DRAIN_GRACE_PERIOD_S <<<"$help_text" ||
  fail "$BIN has no drain.* options (MYRIAD_DRAIN_GRACE_PERIOD_S in --help), which the chart configures"

# --- Tools -------------------------------------------------------------------

section "renderer and validators"
# go_render ARGS...: `go ARGS` in tests/deploy/helm/render, in GOPATH mode over
# Debian's Go sources (/usr/share/gocode): nothing is downloaded. The build cache
# is the user's (fast reruns), or a temporary one where there is none.
gocache=$(go env GOCACHE 2>/dev/null || true)
[[ -n $gocache && $gocache != off ]] || gocache=$TMP/gocache
go_render() {
  (cd "$HERE/render" && env GO111MODULE=off GOPATH="/usr/share/gocode:$TMP/gopath" GOFLAGS='' GOPROXY=off \
    GOCACHE="$gocache" nice -n 19 go "$@")
}
go_render build -o "$TMP/render" . ||
  fail "cannot build tests/deploy/helm/render (needs golang-go, golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev, golang-github-xeipuuv-gojsonschema-dev)"
ok "built the renderer ($(go version | cut -d' ' -f3))"
unformatted=$(gofmt -l "$HERE/render")
[[ -z $unformatted ]] || fail "gofmt: $unformatted not formatted (gofmt -w)"
out=$(go_render test . 2>&1) || fail "the renderer's tests (tests/deploy/helm/render/main_test.go): $out"
ok "renderer: gofmt clean; go test (Helm semantics: value merging, functions, missing keys, errors, ordering) passes"

# The schema packages are devDependencies of tests/e2e (tests/e2e/run.sh installs them too).
have_modules() {
  (cd "$E2E" && node --input-type=module -e '
    await import("kubernetes-models/apps/v1/Deployment");
    await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor");
    await import("@kubernetes-models/validate");
    await import("yaml");') >/dev/null 2>&1
}
if ! have_modules; then
  echo "  installing tests/e2e's npm packages (npm ci)"
  (cd "$E2E" && nice -n 19 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/e2e failed"
  have_modules || fail "tests/e2e/node_modules lacks kubernetes-models or @kubernetes-models/prometheus-operator"
fi
# The scripts resolve their imports from their own folder: run copies next to a
# link to tests/e2e/node_modules.
mkdir -p "$TMP/js"
cp "$HERE"/*.mjs "$TMP/js/"
ln -s "$E2E/node_modules" "$TMP/js/node_modules"
ok "kubernetes-models $(node -p "require('$E2E/node_modules/kubernetes-models/package.json').version"), @kubernetes-models/prometheus-operator $(node -p "require('$E2E/node_modules/@kubernetes-models/prometheus-operator/package.json').version")"

# render NAME [VALUES.yaml...]: renders the chart to $TMP/NAME.yaml, its NOTES.txt
# to $TMP/NAME.notes and the merged values to $TMP/NAME.values.json.
render() {
  local name=$1 args=() f
  shift
  for f in "$@"; do args+=(-f "$f"); done
  "$TMP/render" --name "$RELEASE" --namespace media "${args[@]}" --notes-file "$TMP/$name.notes" \
    --values-out "$TMP/$name.values.json" "$CHART" >"$TMP/$name.yaml" 2>"$TMP/$name.err" ||
    fail "rendering the chart with ${*:-the default values}: $(cat "$TMP/$name.err")"
}

# annotation FILE KEY: the value of the pod template annotation KEY.
annotation() { sed -nE "s#^ +$2: ([^ ]+)\$#\\1#p" "$1" | head -n 1; }

# --- The chart ---------------------------------------------------------------

section "chart"
# The hand-written YAML (not templates/: Go templates are not YAML): yamllint's
# defaults, without document-start (values files start without ---).
out=$(yamllint -s -f parsable -d '{extends: default, rules: {document-start: disable, line-length: {max: 120}}}' \
  "$CHART/Chart.yaml" "$CHART/values.yaml" "$HERE"/*.yaml "$HERE"/invalid/*.yaml 2>&1) ||
  fail "yamllint on the chart's and the tests' values files: $out"
ok "yamllint: Chart.yaml, values.yaml and the test value sets are clean"
app_version=$(sed -nE 's/^appVersion: *"?([^"]*)"?$/\1/p' "$CHART/Chart.yaml")
server_version=$("$BIN" --version | awk '{ print $2 }')
[[ $app_version == "$server_version" ]] ||
  fail "Chart.yaml appVersion $app_version (the default image tag) is not the server's version $server_version"
ok "Chart.yaml appVersion $app_version = myriad --version"
render default
out=$(node "$TMP/js/check-defaults.mjs" "$TMP/default.values.json" "$CHART/values.schema.json" "$REPO/config/myriad.json" 2>&1) ||
  fail "the chart's config defaults do not follow config/myriad.json:
$out"
count_ok "$out"

# --- Each value set ----------------------------------------------------------

# check_set NAME VALUES_FILE|"" CHECK_POD_ARGS...
check_set() {
  local name=$1 values=$2 kinds out
  shift 2
  if [[ -n $values ]]; then section "values: ${values#"$REPO"/}"; else section "values: defaults"; fi
  if [[ -n $values ]]; then render "$name" "$values"; fi
  kinds=$(sed -nE 's/^kind: (.*)$/\1/p' "$TMP/$name.yaml" | paste -sd, -)
  ok "rendered: $kinds"
  out=$(yamllint -f parsable -c "$HERE/yamllint.yaml" "$TMP/$name.yaml" 2>&1) ||
    fail "yamllint on the rendering of ${values:-the defaults}: $out"
  ok "yamllint: clean"
  out=$(node "$TMP/js/validate.mjs" "$TMP/$name.yaml" "$HERE/existing-secret.yaml" 2>&1) ||
    fail "manifests of ${values:-the defaults} are not valid Kubernetes objects:
$out"
  ok "Kubernetes schemas, unknown fields included: $(grep -c '^valid:' <<<"$out") objects valid"
  mkdir -p "$TMP/$name.pod"
  out=$(node "$TMP/js/check-pod.mjs" --bin "$BIN" --manifests "$TMP/$name.yaml" --cluster "$HERE/existing-secret.yaml" \
    --containerfile "$CONTAINERFILE" --notes "$TMP/$name.notes" --tmp "$TMP/$name.pod" "$@" 2>&1) ||
    fail "the pod of ${values:-the defaults} does not run the server it describes:
$out"
  count_ok "$out"
}

# --expect KEY=VALUE: a key of the server's effective config that the values set.
check_set default "" --expect-kind Deployment --expect-mode hostNetwork \
  --expect media.announced_address=192.0.2.10 --expect media.workers=2 --expect http.port=7880 \
  --expect drain.grace_period_s=30
check_set daemonset "$HERE/values-daemonset-keys.yaml" --expect-kind DaemonSet --expect-mode hostNetwork \
  --expect media.announced_address=203.0.113.7 --expect media.workers=3 --expect log.level=debug \
  --expect room_overrides.town-hall.max_participants=5000 --expect drain.redirect_url=wss://sfu.example.com/rtc
check_set hostport "$HERE/values-hostport.yaml" --expect-kind Deployment --expect-mode hostPort \
  --expect media.announced_address=192.0.2.10 --expect media.workers=4 --expect http.port=9000 \
  --expect media.port_base=40000 --expect log.level=warn --expect rooms.max_participants=300 \
  --expect drain.grace_period_s=120

# --- Rollouts on change ------------------------------------------------------

section "checksum annotations"
printf 'config:\n  log:\n    level: trace\n' >"$TMP/input-changed-config.yaml"
render changed-config "$TMP/input-changed-config.yaml"
[[ -n $(annotation "$TMP/default.yaml" checksum/config) ]] || fail "no checksum/config annotation on the pods"
[[ $(annotation "$TMP/default.yaml" checksum/config) != $(annotation "$TMP/changed-config.yaml" checksum/config) ]] ||
  fail "a changed config.log.level leaves checksum/config unchanged: the pods would keep the old config"
ok "a changed config changes checksum/config (the pods roll)"
sed 's/test-only-secret-0123456789/test-only-secret-9876543210/' "$HERE/values-daemonset-keys.yaml" >"$TMP/input-changed-keys.yaml"
render changed-keys "$TMP/input-changed-keys.yaml"
[[ -n $(annotation "$TMP/daemonset.yaml" checksum/secret) ]] || fail "no checksum/secret annotation with auth.keys"
[[ $(annotation "$TMP/daemonset.yaml" checksum/secret) != $(annotation "$TMP/changed-keys.yaml" checksum/secret) ]] ||
  fail "a changed key leaves checksum/secret unchanged"
[[ $(annotation "$TMP/daemonset.yaml" checksum/config) == $(annotation "$TMP/changed-keys.yaml" checksum/config) ]] ||
  fail "a changed key changes checksum/config: the keys leak into the ConfigMap"
ok "a changed key changes checksum/secret only"
! grep -q 'test-only-secret' "$TMP/daemonset.yaml" || fail "a key's secret appears in clear text in the manifests"
ok "no secret in clear text in the manifests (base64 in the Secret only)"

# --- What must fail ----------------------------------------------------------

section "invalid values fail to render"
shopt -s nullglob
invalid=("$HERE"/invalid/*.yaml)
((${#invalid[@]} > 0)) || fail "no tests/deploy/helm/invalid/*.yaml"
for f in "${invalid[@]}"; do
  expected=$(sed -nE 's/^# expect: (.*)$/\1/p' "$f" | head -n 1)
  [[ -n $expected ]] || fail "$f: no \"# expect: MESSAGE\" line"
  if "$TMP/render" --name "$RELEASE" -f "$f" "$CHART" >/dev/null 2>"$TMP/invalid.err"; then
    fail "${f#"$REPO"/} rendered; it must fail with: $expected"
  fi
  grep -qF -- "$expected" "$TMP/invalid.err" ||
    fail "${f#"$REPO"/} failed, but not with \"$expected\": $(cat "$TMP/invalid.err")"
  ok "$(basename "$f"): $(grep -F -- "$expected" "$TMP/invalid.err" | head -n 1 | sed -E 's/^(Error: |- )//' | cut -c1-150)"
done

section "broken manifests fail validation"
# broken NAME SED_EXPRESSION EXPECTED: the default rendering with one change must
# fail validate.mjs with EXPECTED in its output.
broken() {
  local name=$1 expression=$2 expected=$3 out
  sed -E "$expression" "$TMP/default.yaml" >"$TMP/broken-$name.yaml"
  ! cmp -s "$TMP/default.yaml" "$TMP/broken-$name.yaml" || fail "broken manifest $name: the sed expression changed nothing"
  if out=$(node "$TMP/js/validate.mjs" "$TMP/broken-$name.yaml" 2>&1); then
    fail "a manifest with $name passed validation"
  fi
  grep -qF -- "$expected" <<<"$out" || fail "a manifest with $name failed, but not with \"$expected\": $out"
  ok "$name: $(grep -F -- "$expected" <<<"$out" | head -n 1 | sed 's/^FAIL: [^,]*, //' | cut -c1-150)"
}
broken "an unknown field" 's/^( +)readinessProbe:/\1readinessProbes:/' 'unknown field "readinessProbes"'
broken "a string port" 's/^( +)containerPort: 7880$/\1containerPort: "7880"/' 'containerPort must be integer'
broken "a misplaced field" 's/^( +)terminationGracePeriodSeconds:/\1terminationGracePeriod:/' 'unknown field "terminationGracePeriod"'
broken "an unknown kind" 's/^kind: ConfigMap$/kind: ConfigMapp/' 'no schema for v1 ConfigMapp'
broken "an invalid port name" 's/^( +)- name: media-0$/\1- name: media_worker_zero/' 'is not an IANA service name'

echo "PASS: $checks checks"
