# Sourced by the deployment tests (deploy-test.sh, helm-test.sh): a temporary
# directory removed on exit, and how a check reports. Each test counts its "ok"
# lines and stops at the first "FAIL:".
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
checks=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
ok() {
  checks=$((checks + 1))
  echo "  ok: $*"
}
note() { echo "  note: $*"; }
section() { echo "== $*"; }
