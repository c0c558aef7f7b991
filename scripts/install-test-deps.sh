#!/usr/bin/env bash
# Installs what the tests need beyond npm: the PostgreSQL server binaries (initdb, pg_ctl),
# against which the store and the engine are tested as well as on embedded PGlite, and
# Debian's chromium, which the dashboard's browser tests drive (playwright-core downloads
# no browser of its own). The tests
# start and stop their own throwaway clusters; nothing here starts a server. Idempotent: does
# nothing when the binaries are already there. Debian puts them in /usr/lib/postgresql/N/bin.
set -euo pipefail

have_server() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && return 0
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

have_chromium() {
  [[ -x /usr/bin/chromium ]]
}

missing=()
have_server || missing+=(postgresql)
have_chromium || missing+=(chromium)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-test-deps: PostgreSQL server binaries and chromium present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-test-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
# The postgresql package starts a cluster of its own on port 5432; the tests do not use it.
have_server || { echo "install-test-deps: postgresql installed but initdb/pg_ctl not found" >&2; exit 1; }
have_chromium || { echo "install-test-deps: chromium installed but /usr/bin/chromium not found" >&2; exit 1; }
echo "install-test-deps: installed ${missing[*]}"
