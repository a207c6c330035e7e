#!/usr/bin/env bash
# The Linux-host deployment files checked against the repository and the built
# server, without a container engine or a running systemd:
#   deploy/container/Containerfile  build stage = scripts/install-deps.sh's BUILD_PACKAGES;
#                                   runtime packages = Debian 12 packages of the binary's
#                                   shared libraries; non-root; runs what it builds
#   deploy/systemd/myriad.service   parses; hardening keys; ExecStart is the README's install
#                                   path; its flags and variables are the binary's
#   config/myriad.json              accepted by `myriad --check-config` as each installs it
# Usage: deploy-test.sh PATH/TO/myriad [CONTAINERFILE]
# CONTAINERFILE (or $DEPLOY_TEST_CONTAINERFILE), $DEPLOY_TEST_UNIT and
# $DEPLOY_TEST_ENV_FILE replace the repository's files, to show a broken copy fails.
# Stops at the first failure, with a line starting "FAIL:".
set -euo pipefail

BIN=${1:?usage: deploy-test.sh PATH/TO/myriad [CONTAINERFILE]}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CONTAINERFILE=${2:-${DEPLOY_TEST_CONTAINERFILE:-$REPO/deploy/container/Containerfile}}
UNIT=${DEPLOY_TEST_UNIT:-$REPO/deploy/systemd/myriad.service}
ENV_FILE=${DEPLOY_TEST_ENV_FILE:-$REPO/deploy/systemd/myriad.env}
INSTALL_DEPS=$REPO/scripts/install-deps.sh
README=$REPO/README.md
CONFIG=config/myriad.json # relative to REPO: the Containerfile COPYs it by this name
README_SECTION="## Install on a Linux host (systemd)"
# In the debian:12 image already: apt, which the image has, depends on libc6,
# libgcc-s1 and libstdc++6. Their libraries need no package in the runtime stage.
BASE_PACKAGES=(libc6 libstdc++6 libgcc-s1)
# What systemd-analyze cannot tell: the least LimitNOFILE that serves thousands of clients.
MIN_NOFILE=65536

# TMP, checks, fail, ok, note, section.
# shellcheck source=tests/deploy/report.sh
source "$(dirname "$0")/report.sh"
# in_list WORD LIST...: WORD is one of LIST.
in_list() {
  local word=$1 item
  shift
  for item in "$@"; do [[ $item == "$word" ]] && return 0; done
  return 1
}
# sorted_unique WORD...: the words, one a line, sorted, without repeats.
sorted_unique() { (($#)) && printf '%s\n' "$@" | sort -u; }

[[ -x $BIN ]] || fail "$BIN is not an executable"
BIN=$(realpath "$BIN")
for f in "$CONTAINERFILE" "$UNIT" "$ENV_FILE" "$INSTALL_DEPS" "$README" "$REPO/$CONFIG"; do
  [[ -f $f ]] || fail "$f does not exist"
done
HELP=$("$BIN" --help) || fail "$BIN --help exited non-zero"
echo "binary: $BIN"
echo "containerfile: $CONTAINERFILE"
echo "unit: $UNIT"

# --- Parsing ----------------------------------------------------------------

# bash_array FILE NAME: the words of the bash array NAME=( ... ) in FILE. Only the
# assignment is cut out (up to the first line whose code, outside a comment, has
# the closing parenthesis) and bash itself reads it, so quotes, comments and line
# continuations count as they do when install-deps.sh runs.
bash_array() {
  local file=$1 name=$2 text
  text=$(awk -v name="$name" '
    !on && $0 ~ "^[[:space:]]*" name "=\\(" { on = 1 }
    on {
      print
      code = $0
      sub(/(^|[[:space:]])#.*/, "", code)
      if (code ~ /\)/) exit
    }' "$file")
  [[ -n $text ]] || fail "$file: no $name=( ... ) array found"
  # shellcheck disable=SC2016 # expanded by the inner bash, with the array name as $1
  bash -c "set -eu; $text"$'\n''declare -n words=$1; printf "%s\n" "${words[@]}"' bash "$name" ||
    fail "$file: bash could not read the $name array"
}

# The Containerfile as one instruction a line: "STAGE<TAB>KEYWORD<TAB>ARGUMENTS",
# STAGE counting FROMs from 0. As the builders read it: a line ending in a
# backslash continues on the next, and comment and empty lines inside a
# continued instruction are dropped.
containerfile_instructions() {
  awk '
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { next }
    {
      line = $0
      if (line ~ /\\[[:space:]]*$/) {
        sub(/\\[[:space:]]*$/, " ", line)
        buffer = buffer line
        next
      }
      emit(buffer line)
      buffer = ""
    }
    END { if (buffer != "") emit(buffer) }
    function emit(text,   keyword) {
      sub(/^[[:space:]]+/, "", text)
      keyword = toupper(text)
      sub(/[[:space:]].*/, "", keyword)
      sub(/^[^[:space:]]+[[:space:]]*/, "", text)
      gsub(/[[:space:]]+/, " ", text)
      if (keyword == "FROM") stage++
      print stage - 1 "\t" keyword "\t" text
    }' "$1"
}

# apt_installed COMMAND_TEXT: the packages each `apt-get install` / `apt install`
# in the shell text installs, one a line. Options (and the arguments of -o, -t,
# -c) are skipped; "=version", ":arch" and "/release" suffixes are dropped.
apt_installed() {
  local text=$1 segment word i found installing skip unverifiable='[$*?[]'
  local -a words
  # One simple command a line: split at && || ; | and parentheses.
  text=$(sed -E 's/&&|\|\||[;|()]/\n/g' <<<"$text")
  while IFS= read -r segment; do
    read -ra words <<<"$segment"
    found=0 installing=0 skip=0
    for ((i = 0; i < ${#words[@]}; i++)); do
      word=${words[i]//[\"\']/}
      if ((found == 0)); then
        [[ $word == apt-get || $word == apt ]] && found=1
        continue
      fi
      if ((skip)); then
        skip=0
        continue
      fi
      case $word in
        -o | -t | -c) skip=1 ;;
        -*) ;;
        install) installing=1 ;;
        *)
          ((installing)) || break # another apt-get command (update, clean ...)
          [[ $word =~ $unverifiable ]] && fail "$CONTAINERFILE: cannot check the apt package \"$word\" (a variable or pattern)"
          word=${word%%=*}
          word=${word%%/*}
          echo "${word%%:*}"
          ;;
      esac
    done
  done <<<"$text"
}

# stage_installs STAGE: the packages the RUN instructions of STAGE install with apt.
stage_installs() {
  local run
  awk -F'\t' -v s="$1" '$1 == s && $2 == "RUN" { print $3 }' "$TMP/instructions" |
    while IFS= read -r run; do apt_installed "$run"; done
}

# stage_of NAME_OR_INDEX: the index of a stage named in COPY --from=.
stage_of() {
  local ref=$1
  if [[ $ref =~ ^[0-9]+$ ]]; then
    echo "$ref"
    return
  fi
  awk -F'\t' -v ref="$ref" '
    $2 == "FROM" { n = split($3, w, " "); if (n >= 3 && toupper(w[n - 1]) == "AS" && w[n] == ref) { print $1; exit } }
  ' "$TMP/instructions"
}

# exec_form JSON_ARRAY_TEXT: the elements of ["a", "b"], one a line (simple strings only).
exec_form() {
  local text=$1
  [[ $text =~ ^\[.*\]$ ]] || fail "$CONTAINERFILE: \"$text\" is not the exec (JSON array) form"
  text=${text#\[}
  text=${text%\]}
  sed -E 's/^[[:space:]]*"//; s/"[[:space:]]*$//' <<<"${text//,/$'\n'}"
}

# unit_values KEY: every value of KEY= in the unit, one a line, in file order.
unit_values() {
  awk -v key="$1" '
    /^[[:space:]]*[#;]/ { next }
    {
      line = $0
      if (line ~ /\\$/) { sub(/\\$/, " ", line); buffer = buffer line; next }
      line = buffer line
      buffer = ""
      if (index(line, key "=") == 1) print substr(line, length(key) + 2)
    }' "$UNIT"
}

# flag_in_help FLAG: FLAG ("--config") is an option `myriad --help` lists.
flag_in_help() { grep -Eq -- "(^|[[:space:][,])$1([][[:space:]=,]|$)" <<<"$HELP"; }
# variable_in_help NAME: NAME is an environment variable `myriad --help` lists.
variable_in_help() { grep -Eq -- "(^|[[:space:]])$1([[:space:]=]|$)" <<<"$HELP"; }

# check_flags WHERE WORD...: every --flag of a command line is one --help lists.
check_flags() {
  local where=$1 word flag
  shift
  for word in "$@"; do
    [[ $word == --* ]] || continue
    flag=${word%%=*}
    flag_in_help "$flag" || fail "$where uses $flag, which \`$(basename "$BIN") --help\` does not list"
  done
}

# argument_of FLAG WORD...: the value given to FLAG ("--config FILE" or "--config=FILE").
argument_of() {
  local flag=$1 i
  shift
  local -a words=("$@")
  for ((i = 0; i < ${#words[@]}; i++)); do
    [[ ${words[i]} == "$flag="* ]] && echo "${words[i]#*=}" && return
    [[ ${words[i]} == "$flag" ]] && ((i + 1 < ${#words[@]})) && echo "${words[i + 1]}" && return
  done
  return 0
}

# config_value JSON KEY: the integer of "KEY": N in --check-config's output.
config_value() { sed -nE "s/^[[:space:]]*\"$2\": ([0-9]+),?$/\\1/p" <<<"$1" | head -n 1; }

# check_config WHERE VAR=VALUE...: the binary accepts config/myriad.json with just
# these variables set (env -i: this shell's MYRIAD_* must not decide the result).
# Prints the effective config.
check_config() {
  local where=$1 out
  shift
  if ! out=$(cd "$REPO" && env -i PATH="$PATH" "$@" "$BIN" --check-config "$CONFIG" 2>&1); then
    fail "$where: \`myriad --check-config $CONFIG\`${*:+ with $*} refused it: $out"
  fi
  echo "$out"
}

# --- Containerfile ----------------------------------------------------------

section "Containerfile stages"
containerfile_instructions "$CONTAINERFILE" >"$TMP/instructions"
stages=$(awk -F'\t' '$2 == "FROM"' "$TMP/instructions" | wc -l)
((stages >= 2)) || fail "$CONTAINERFILE: $stages stage(s); want a build stage and a runtime stage"
final=$((stages - 1))
awk -F'\t' -v s="$final" '$1 == s && $2 == "FROM" && $3 ~ /^debian:12( |$)/ { found = 1 } END { exit !found }' "$TMP/instructions" ||
  fail "$CONTAINERFILE: the final stage is not FROM debian:12"
ok "$stages stages, the final one FROM debian:12"

# The final stage's COPY --from=STAGE ... /myriad names the build stage.
copy_line=$(awk -F'\t' -v s="$final" '$1 == s && $2 == "COPY" && $3 ~ /--from=/ && $3 ~ /\/myriad( |$)/' "$TMP/instructions" | head -n 1)
[[ -n $copy_line ]] || fail "$CONTAINERFILE: the final stage copies no .../myriad from another stage"
read -ra copy_words <<<"$(cut -f3 <<<"$copy_line")"
from_ref=""
copy_args=()
for word in "${copy_words[@]}"; do
  case $word in
    --from=*) from_ref=${word#--from=} ;;
    --*) ;;
    *) copy_args+=("$word") ;;
  esac
done
((${#copy_args[@]} == 2)) || fail "$CONTAINERFILE: want \"COPY --from=STAGE BINARY DEST\", got \"${copy_words[*]}\""
copied_binary=${copy_args[0]}
binary_dest=${copy_args[1]}
[[ $binary_dest == */ ]] && binary_dest+=myriad
build_stage=$(stage_of "$from_ref")
if [[ -z $build_stage ]] || ((build_stage >= final)); then
  fail "$CONTAINERFILE: COPY --from=$from_ref names no earlier stage"
fi
ok "the final stage copies $copied_binary from stage $build_stage ($from_ref) to $binary_dest"

section "Containerfile build stage = scripts/install-deps.sh BUILD_PACKAGES"
# Assigned before mapfile: a fail inside a process substitution would not stop the script.
list=$(bash_array "$INSTALL_DEPS" BUILD_PACKAGES)
mapfile -t want_build < <(sort -u <<<"$list")
((${#want_build[@]})) || fail "$INSTALL_DEPS: BUILD_PACKAGES is empty"
list=$(stage_installs "$build_stage")
mapfile -t build_packages < <(grep . <<<"$list" | sort -u)
((${#build_packages[@]})) || fail "$CONTAINERFILE: the build stage installs no packages with apt-get"
for p in "${build_packages[@]}"; do
  in_list "$p" "${want_build[@]}" ||
    fail "$CONTAINERFILE: the build stage installs $p, which is not in BUILD_PACKAGES of scripts/install-deps.sh"
done
ok "each of the ${#build_packages[@]} packages the build stage installs is in BUILD_PACKAGES"
for p in "${want_build[@]}"; do
  in_list "$p" "${build_packages[@]}" ||
    fail "$CONTAINERFILE: the build stage does not install $p (BUILD_PACKAGES of scripts/install-deps.sh)"
done
ok "the build stage installs all ${#want_build[@]} BUILD_PACKAGES"

section "Containerfile builds the binary it copies"
# The build directory of `cmake --build DIR ... --target myriad`, made absolute
# with the stage's WORKDIR at that point.
built=$(awk -F'\t' -v s="$build_stage" '
  $1 == s && $2 == "WORKDIR" { workdir = $3 }
  $1 == s && $2 == "RUN" && $3 ~ /cmake --build / && $3 ~ /(--target|-t) myriad( |$)/ {
    dir = $3
    sub(/.*cmake --build /, "", dir)
    sub(/ .*/, "", dir)
    if (dir !~ /^\//) dir = (workdir == "" ? "/" : workdir "/") dir
    print dir "/myriad"
  }' "$TMP/instructions" | sed -E 's#/+#/#g; s#/\./#/#g' | tail -n 1)
[[ -n $built ]] || fail "$CONTAINERFILE: stage $build_stage has no \"cmake --build DIR --target myriad\""
[[ $(sed -E 's#/+#/#g' <<<"$copied_binary") == "$built" ]] ||
  fail "$CONTAINERFILE: the final stage copies $copied_binary, but the build stage builds $built"
ok "the build stage builds $built, the file the final stage copies"

section "Containerfile runtime stage"
user=$(awk -F'\t' -v s="$final" '$1 == s && $2 == "USER" { u = $3 } END { print u }' "$TMP/instructions")
[[ -n $user ]] || fail "$CONTAINERFILE: the final stage has no USER line (it would run as root)"
user_name=${user%%:*}
[[ $user_name != root && $user_name != 0 ]] || fail "$CONTAINERFILE: the final stage runs as USER $user"
if [[ ! $user_name =~ ^[0-9]+$ ]]; then
  # A name the image does not define makes the container fail at start.
  awk -F'\t' -v s="$final" -v name="$user_name" '
    $1 == s && $2 == "RUN" && $3 ~ ("(useradd|adduser)( .*)? " name "( |$)") { found = 1 } END { exit !found }' "$TMP/instructions" ||
    fail "$CONTAINERFILE: USER $user_name is not created (useradd) in the final stage"
fi
ok "the final stage runs as USER $user"

entrypoint=$(awk -F'\t' -v s="$final" '$1 == s && $2 == "ENTRYPOINT" { e = $3 } END { print e }' "$TMP/instructions")
cmd=$(awk -F'\t' -v s="$final" '$1 == s && $2 == "CMD" { c = $3 } END { print c }' "$TMP/instructions")
run_words=()
for form in "$entrypoint" "$cmd"; do # exec form: CMD's words follow ENTRYPOINT's
  [[ -n $form ]] || continue
  list=$(exec_form "$form")
  mapfile -t -O "${#run_words[@]}" run_words <<<"$list"
done
((${#run_words[@]})) || fail "$CONTAINERFILE: no ENTRYPOINT or CMD in the final stage"
[[ ${run_words[0]} == "$binary_dest" ]] ||
  fail "$CONTAINERFILE: the container runs ${run_words[0]}, but the binary is copied to $binary_dest"
check_flags "$CONTAINERFILE ENTRYPOINT/CMD" "${run_words[@]:1}"
container_config=$(argument_of --config "${run_words[@]}")
[[ -n $container_config ]] || fail "$CONTAINERFILE: the container's command has no --config FILE"
awk -F'\t' -v s="$final" -v dest="$container_config" -v src="$CONFIG" '
  $1 == s && $2 == "COPY" { n = split($3, w, " "); if (w[n] == dest && w[n - 1] == src) found = 1 }
  END { exit !found }' "$TMP/instructions" ||
  fail "$CONTAINERFILE: the container runs --config $container_config, but no \"COPY $CONFIG $container_config\""
ok "the container runs \"${run_words[*]}\" (flags known to the binary) on $CONFIG copied to $container_config"

# ENV overrides: each a variable the binary knows (an unknown MYRIAD_<SECTION>_
# variable stops the server), applied below when checking the config.
container_env=()
while IFS= read -r assignment; do
  [[ -n $assignment ]] || continue
  [[ $assignment == *=* ]] || fail "$CONTAINERFILE: \"ENV $assignment\": use the ENV NAME=VALUE form"
  name=${assignment%%=*}
  value=${assignment#*=}
  value=${value//\"/}
  if [[ $name == MYRIAD_* ]]; then
    variable_in_help "$name" || fail "$CONTAINERFILE: ENV $name is not a variable \`myriad --help\` lists"
  fi
  container_env+=("$name=$value")
done < <(awk -F'\t' -v s="$final" '$1 == s && $2 == "ENV" { n = split($3, w, " "); for (i = 1; i <= n; i++) print w[i] }' "$TMP/instructions")
ok "ENV ${container_env[*]:-(none)}: variables the binary knows"

# Liveness, not readiness: /healthz turns 503 while the server drains, and a
# container engine must not restart a draining server.
if grep -aq '/livez' "$BIN"; then
  awk -F'\t' -v s="$final" '$1 == s && $2 == "HEALTHCHECK" && /\/livez/ { found = 1 } END { exit !found }' "$TMP/instructions" ||
    fail "$CONTAINERFILE: the server has /livez but the image has no HEALTHCHECK probing it"
  ok "HEALTHCHECK probes /livez, which the binary serves"
else
  note "the binary has no /livez: HEALTHCHECK not checked"
fi

section "Runtime packages = Debian 12 packages of the binary's shared libraries"
list=$(stage_installs "$final")
mapfile -t runtime_packages < <(grep . <<<"$list" | sort -u)
echo "  runtime stage installs: ${runtime_packages[*]:-(nothing)}"

# in_bookworm PACKAGE: a line of $sources offers PACKAGE from what debian:12 uses:
# bookworm, -updates, -security (no backports, no third-party sources).
# Compared as a field, not a regex: names hold regex characters (libstdc++6).
in_bookworm() {
  awk -F'|' -v package="$1" '
    { gsub(/ /, "", $1) }
    $1 == package && $3 ~ / bookworm(-updates|-security)?\// { found = 1 }
    END { exit !found }' <<<"$sources"
}
# One apt-cache call (each reads all package lists, about a second); libc6, which
# Debian 12 certainly has, tells whether this machine has Debian 12's lists at all.
sources=$(apt-cache madison libc6 "${runtime_packages[@]}" 2>/dev/null) || sources=""
if in_bookworm libc6; then
  for p in "${runtime_packages[@]}"; do
    in_bookworm "$p" || fail "$CONTAINERFILE: the runtime package $p is not in Debian 12 (apt-cache madison $p)"
  done
  ok "each runtime package is in Debian 12 (bookworm)"
else
  note "apt-cache has no Debian 12 (bookworm) package lists here: not checking that the runtime packages exist"
fi

libraries=()
if ! ldd_out=$(ldd "$BIN" 2>&1); then
  grep -q 'not a dynamic executable' <<<"$ldd_out" || fail "ldd $BIN failed: $ldd_out"
else
  ! grep -q 'not found' <<<"$ldd_out" || fail "ldd $BIN: a library is missing here: $(grep 'not found' <<<"$ldd_out")"
  mapfile -t libraries < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out")
fi

# candidates PATH: the names a package may ship a library under. ldd names
# /lib/... while packages ship /usr/lib/... on merged-/usr systems (or the other
# way round), and a soname may be a symlink to the file a package ships.
candidates() {
  local real
  real=$(readlink -f "$1")
  printf '%s\n' "$1" "/usr$1" "${1#/usr}" "$real" "/usr$real" "${real#/usr}"
}

if command -v dpkg >/dev/null; then
  # One dpkg -S for every name (each call reads the whole package database):
  # lines "package[:arch][, other]: /path"; names no package ships are left out.
  declare -A owner_of=()
  if ((${#libraries[@]})); then
    mapfile -t names < <(for library in "${libraries[@]}"; do candidates "$library"; done | sort -u)
    owners=$(dpkg -S "${names[@]}" 2>/dev/null) || true # non-zero when some name is not found
    while IFS= read -r line; do
      [[ $line == diversion* || $line != *": /"* ]] && continue
      package=${line%%: /*}
      package=${package%%,*}
      owner_of[${line#*: }]=${package%%:*}
    done <<<"$owners"
  fi
  needed=()
  for library in "${libraries[@]}"; do
    package=""
    while IFS= read -r name; do
      if [[ -n ${owner_of[$name]:-} ]]; then
        package=${owner_of[$name]}
        break
      fi
    done < <(candidates "$library")
    [[ -n $package ]] || fail "$library (linked by $BIN) belongs to no Debian package: the image cannot install it"
    if in_list "$package" "${BASE_PACKAGES[@]}"; then
      echo "  $library: $package (in debian:12)"
      continue
    fi
    echo "  $library: $package"
    in_list "$package" "${runtime_packages[@]}" ||
      fail "$CONTAINERFILE: the runtime stage does not install $package, which provides $library"
    needed+=("$package")
  done
  ok "the runtime stage installs the package of each library not in debian:12"
  mapfile -t needed < <(sorted_unique "${needed[@]}")
  for p in "${runtime_packages[@]}"; do
    in_list "$p" "${needed[@]}" ||
      fail "$CONTAINERFILE: the runtime stage installs $p, which provides no library the binary links"
  done
  ok "the runtime stage installs nothing else"
else
  note "no dpkg here: the libraries are not mapped to packages"
fi

# --- systemd unit -----------------------------------------------------------

section "systemd unit"
# The install path and the config path are the README's (what operators type).
readme_section=$(awk -v title="$README_SECTION" '
  $0 == title { on = 1; next }
  on && /^## / { exit }
  on' "$README")
[[ -n $readme_section ]] || fail "$README: no \"$README_SECTION\" section"
install_path=$(sed -nE 's#^(sudo )?install .* (/[^ ]*bin/myriad)$#\2#p' <<<"$readme_section" | head -n 1)
[[ -n $install_path ]] || fail "$README: \"$README_SECTION\" installs no binary (\"install ... /PATH/myriad\")"

# last_value KEY: the value that counts for a single-valued key (the last one).
last_value() { unit_values "$1" | tail -n 1; }
is_yes() { [[ $1 =~ ^(yes|true|on|1)$ ]]; }

mapfile -t exec_start < <(unit_values ExecStart)
((${#exec_start[@]} == 1)) || fail "$UNIT: want one ExecStart=, got ${#exec_start[@]}"
read -ra start_words <<<"${exec_start[0]}"
start_path=${start_words[0]##[-@:+!]}
start_path=${start_path##[-@:+!]}
[[ $start_path == "$install_path" ]] ||
  fail "$UNIT: ExecStart runs $start_path, but README.md installs the binary as $install_path"
ok "ExecStart runs $install_path, where the README installs the binary"

unit_user=$(last_value User)
[[ -n $unit_user && $unit_user != root && $unit_user != 0 ]] || fail "$UNIT: User= is \"${unit_user}\"; want a dedicated user"
grep -Eq "useradd .*[[:space:]]$unit_user\$" <<<"$readme_section" ||
  fail "$README: \"$README_SECTION\" does not create the user $unit_user (useradd ... $unit_user)"
ok "User=$unit_user, created by the README's install steps"

is_yes "$(last_value NoNewPrivileges)" || fail "$UNIT: NoNewPrivileges=yes missing"
ok "NoNewPrivileges=yes"
[[ $(last_value ProtectSystem) == strict ]] || fail "$UNIT: ProtectSystem=strict missing"
ok "ProtectSystem=strict"

nofile=$(last_value LimitNOFILE)
[[ -n $nofile ]] || fail "$UNIT: no LimitNOFILE= (the default soft limit, 1024, refuses clients past ~1000)"
IFS=: read -ra limits <<<"$nofile" # soft[:hard]
for limit in "${limits[@]}"; do
  [[ $limit == infinity ]] && continue
  if [[ ! $limit =~ ^[0-9]+$ ]] || ((limit < MIN_NOFILE)); then
    fail "$UNIT: LimitNOFILE=$nofile, want at least $MIN_NOFILE"
  fi
done
ok "LimitNOFILE=$nofile (>= $MIN_NOFILE)"

check_flags "$UNIT ExecStart" "${start_words[@]:1}"
unit_config=$(argument_of --config "${start_words[@]}")
[[ -n $unit_config ]] || fail "$UNIT: ExecStart has no --config FILE"
pre_checked=""
while IFS= read -r pre; do
  read -ra pre_words <<<"$pre"
  check_flags "$UNIT ExecStartPre" "${pre_words[@]:1}"
  pre_path=${pre_words[0]##[-@:+!]}
  if [[ ${pre_path##[-@:+!]} == "$install_path" ]]; then
    pre_checked=$(argument_of --check-config "${pre_words[@]}")
  fi
done < <(unit_values ExecStartPre)
[[ -n $pre_checked ]] || fail "$UNIT: no ExecStartPre=$install_path --check-config FILE"
[[ $pre_checked == "$unit_config" ]] ||
  fail "$UNIT: ExecStartPre checks $pre_checked but ExecStart loads $unit_config"
grep -Eq "(^|[[:space:]])$CONFIG $unit_config\$" <<<"$readme_section" ||
  fail "$README: \"$README_SECTION\" does not install $CONFIG as $unit_config"
ok "ExecStartPre checks the $unit_config ExecStart loads (the README installs $CONFIG there); flags known to the binary"

# The unit's Environment= and the example environment file's lines: variables the
# binary knows. Commented examples count too: operators uncomment them.
unit_env=()
while IFS= read -r line; do
  read -ra assignments <<<"$line" # NAME=VALUE words; values here have no spaces
  for assignment in "${assignments[@]}"; do
    assignment=${assignment//\"/}
    name=${assignment%%=*}
    [[ $name == MYRIAD_* ]] && ! variable_in_help "$name" &&
      fail "$UNIT: Environment=$name is not a variable \`myriad --help\` lists"
    unit_env+=("$assignment")
  done
done < <(unit_values Environment)
while IFS= read -r line; do
  name=${line#\#}
  name=${name%%=*}
  variable_in_help "$name" || fail "$ENV_FILE: $name is not a variable \`myriad --help\` lists"
  [[ $line == \#* ]] && continue
  value=${line#*=}
  [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]] && value=${BASH_REMATCH[1]} # systemd drops the quotes
  unit_env+=("$name=$value")
done < <(sed -nE 's/^(#?)[[:space:]]*(MYRIAD_[A-Z0-9_]+=.*)$/\1\2/p' "$ENV_FILE")
ok "the unit's Environment= and $(basename "$ENV_FILE")'s variables are ones the binary lists"

if is_yes "$(last_value MemoryDenyWriteExecute)"; then
  # It breaks a process whose code needs an executable stack or text relocations
  # (the loader would map memory writable and executable).
  if command -v readelf >/dev/null; then
    for object in "$BIN" "${libraries[@]}"; do
      # GNU_STACK's flags are the fields between MemSiz and Align ("RW", "RWE", "R E").
      readelf -lW "$object" | awk '$1 == "GNU_STACK" { for (i = 7; i < NF; i++) if ($i ~ /E/) bad = 1 } END { exit bad }' ||
        fail "$UNIT: MemoryDenyWriteExecute=yes, but $object needs an executable stack"
      dynamic=$(readelf -dW "$object")
      ! grep -q TEXTREL <<<"$dynamic" ||
        fail "$UNIT: MemoryDenyWriteExecute=yes, but $object has text relocations"
    done
    ok "MemoryDenyWriteExecute=yes: no executable stack or text relocations in the binary and its ${#libraries[@]} libraries"
  else
    note "no readelf here: MemoryDenyWriteExecute=yes not checked against the binary"
  fi
fi

section "systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
  # Whether verify works here at all: a unit that cannot be wrong must pass silently.
  mkdir -p "$TMP/verify"
  printf '[Unit]\nDescription=probe\n[Service]\nExecStart=%s --version\n' "$BIN" >"$TMP/verify/probe.service"
  if probe=$(systemd-analyze verify "$TMP/verify/probe.service" 2>&1) && [[ -z $probe ]]; then
    # verify requires ExecStart's binary to exist: the one under test stands in for
    # the installed one. Unknown keys are only warned about (exit status 0), so
    # any line about the unit fails.
    sed "s#$install_path#$BIN#g" "$UNIT" >"$TMP/verify/myriad.service"
    verify_status=0
    verify_out=$(systemd-analyze verify "$TMP/verify/myriad.service" 2>&1) || verify_status=$?
    if ((verify_status != 0)) || grep -q 'myriad\.service' <<<"$verify_out"; then
      fail "systemd-analyze verify $UNIT (exit $verify_status): $verify_out"
    fi
    ok "systemd-analyze verify: no errors or warnings"
  else
    note "systemd-analyze verify does not work here (${probe:-non-zero exit}): only the keys above are checked"
  fi
else
  note "no systemd-analyze here: only the keys above are checked"
fi

# --- The config each installs -----------------------------------------------

section "myriad --check-config $CONFIG"
unit_effective=$(check_config "$UNIT" "${unit_env[@]}")
ok "accepted with the unit's environment (${unit_env[*]:-none})"
# Set and empty (absent would mean every capability).
bounding=$(unit_values CapabilityBoundingSet | wc -l)
if ((bounding > 0)) && [[ -z $(last_value CapabilityBoundingSet) && -z $(last_value AmbientCapabilities) ]]; then
  # No CAP_NET_BIND_SERVICE: ports below 1024 would fail to bind at start.
  for key in port port_base; do
    port=$(config_value "$unit_effective" "$key")
    [[ -n $port ]] || fail "--check-config printed no \"$key\""
    ((port == 0 || port >= 1024)) ||
      fail "$UNIT: no capabilities (CapabilityBoundingSet=), but the config's $key is $port (< 1024)"
  done
  ok "no capabilities needed: HTTP port $(config_value "$unit_effective" port), media port base $(config_value "$unit_effective" port_base)"
fi
# SIGTERM drains for up to drain.grace_period_s, then flushes the last messages (3 s):
# systemd must not SIGKILL the server before that.
grace=$(config_value "$unit_effective" grace_period_s)
[[ -n $grace ]] || fail "--check-config printed no \"grace_period_s\""
stop_timeout=$(last_value TimeoutStopSec)
[[ $stop_timeout =~ ^([0-9]+)s?$ ]] || fail "$UNIT: TimeoutStopSec=$stop_timeout: want seconds (e.g. 45s)"
stop_timeout=${BASH_REMATCH[1]}
((stop_timeout >= grace + 5)) ||
  fail "$UNIT: TimeoutStopSec=${stop_timeout}s, but the drain may take drain.grace_period_s ($grace s) + 3 s: want at least $((grace + 5))s"
ok "TimeoutStopSec=${stop_timeout}s covers the drain (grace period $grace s + flush)"

# The container's ENV puts media on a wildcard address, which needs the announced
# address operators pass at run time (deploy/container/README.md); a documentation
# address stands in for it unless the image sets one.
container_run_env=("${container_env[@]}")
in_list MYRIAD_MEDIA_ANNOUNCED_ADDRESS "${container_env[@]%%=*}" ||
  container_run_env+=(MYRIAD_MEDIA_ANNOUNCED_ADDRESS=192.0.2.10)
container_effective=$(check_config "$CONTAINERFILE" "${container_run_env[@]}")
ok "accepted with the container's environment (${container_run_env[*]})"
http_port=$(config_value "$container_effective" port)
media_port=$(config_value "$container_effective" port_base)
exposed=$(awk -F'\t' -v s="$final" '$1 == s && $2 == "EXPOSE" { print $3 }' "$TMP/instructions")
grep -Eq "(^| )$http_port/tcp( |$)" <<<"$exposed" || fail "$CONTAINERFILE: the HTTP port $http_port/tcp is not EXPOSEd"
grep -Eq "(^| )$media_port(-[0-9]+)?/udp( |$)" <<<"$exposed" || fail "$CONTAINERFILE: the media port $media_port/udp is not EXPOSEd"
ok "the container EXPOSEs the HTTP port $http_port/tcp and the media port $media_port/udp"

echo "PASS: $checks checks"
