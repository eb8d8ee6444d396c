#!/usr/bin/env bash
# A throwaway FerretDB (MongoDB wire protocol on SQLite) for the MongoDB suites, where no
# MongoDB can run.
#   scripts/ferretdb.sh install             builds FerretDB v1.24.2 unless a working one exists
#   scripts/ferretdb.sh start <dir> <port>  runs it on 127.0.0.1:<port>, data, log and pid in <dir>
#   scripts/ferretdb.sh stop <dir>          stops the one started with that <dir>
#   scripts/ferretdb.sh version             prints the version of the one start would run
set -euo pipefail

VERSION=v1.24.2
MODULE=github.com/FerretDB/FerretDB

# The first ferretdb that starts: on PATH, then in Go's install directory.
find_ferretdb() {
  local candidate gobin=''
  if command -v go >/dev/null 2>&1; then
    gobin="$(go env GOBIN)"
    [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
  fi
  for candidate in "$(command -v ferretdb || true)" "${gobin:+$gobin/ferretdb}" "$HOME/go/bin/ferretdb"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

version() {
  local bin
  bin="$(find_ferretdb)" || { echo "FerretDB is not installed" >&2; return 1; }
  "$bin" --version | sed -n 's/^version: //p'
}

install() {
  local bin
  if bin="$(find_ferretdb)"; then
    echo "FerretDB: $bin ($(version))"
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "FerretDB is not installed and Go is not on PATH to build it" >&2
    return 1
  fi
  # `go install $MODULE/cmd/ferretdb@$VERSION` builds a binary that panics at start: the release
  # module lacks the generated build/version/version.txt. So: fetch the module into Go's module
  # cache, build a copy that has that file, and install it. Go's module and build caches stay
  # where they are, so a second run is a cache hit.
  echo "building FerretDB $VERSION with $(go version)"
  local src work
  src="$(GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { echo "go mod download gave no source directory for $MODULE@$VERSION" >&2; return 1; }
  work="$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-src-XXXXXX")"
  cp -R "$src/." "$work"
  chmod -R u+w "$work"
  echo "$VERSION" >"$work/build/version/version.txt"
  (cd "$work" && GOFLAGS=-mod=mod go install -buildvcs=false ./cmd/ferretdb)
  rm -rf "$work"
  bin="$(find_ferretdb)" || { echo "FerretDB was built but does not start" >&2; return 1; }
  echo "FerretDB: $bin ($(version))"
}

# True while something accepts connections on 127.0.0.1:$1.
answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir="$1" port="$2" bin pid
  bin="$(find_ferretdb)" || { echo "FerretDB is not installed: run '$0 install'" >&2; return 1; }
  if answers "$port"; then
    echo "port $port is already in use" >&2
    return 1
  fi
  mkdir -p "$dir/data"
  "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" --listen-addr="127.0.0.1:$port" \
    --state-dir=- --debug-addr=- --telemetry=disable --log-level=warn \
    >"$dir/ferretdb.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/ferretdb.pid"
  for _ in $(seq 1 100); do
    if answers "$port"; then
      echo "FerretDB (pid $pid) listening on 127.0.0.1:$port, data in $dir/data"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "FerretDB did not start on 127.0.0.1:$port; its log ($dir/ferretdb.log):" >&2
  cat "$dir/ferretdb.log" >&2
  stop "$dir"
  return 1
}

stop() {
  local dir="$1" pid
  [ -f "$dir/ferretdb.pid" ] || return 0
  pid="$(cat "$dir/ferretdb.pid")"
  # Only the process this script started (a pid can be reused after it exits).
  if [ -n "$pid" ] && ps -p "$pid" -o args= 2>/dev/null | grep -qF -- "--sqlite-url=file:$dir/data/"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "FerretDB (pid $pid) ignored SIGTERM for 10 s: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/ferretdb.pid"
}

case "${1:-}" in
  install) install ;;
  version) version ;;
  start) [ $# -eq 3 ] || { echo "usage: $0 start <dir> <port>" >&2; exit 2; }; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || { echo "usage: $0 stop <dir>" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 install | version | start <dir> <port> | stop <dir>" >&2; exit 2 ;;
esac
