# Shared by openstack/up and openstack/down: where things live and how processes are tracked.
OS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$OS_DIR/.state"
CLOUD_FILE="$STATE_DIR/cloud.json"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/logs"
# PostgreSQL runs as the postgres user, which may not enter the checkout (a clone in a 0700
# directory such as mktemp's or /root): its cluster lives where that user can reach it.
PG_DIR="/var/tmp/hvpatch-openstack-pg-25432"
# Debian's interpreter: another python3 may be first on PATH and cannot see Debian's packages.
PY=/usr/bin/python3

# Private ports, away from the defaults, so a system-wide service cannot be confused with ours.
PG_PORT=25432
EPMD_PORT=24369
RABBIT_PORT=25672
RABBIT_DIST_PORT=25673
KEYSTONE_PORT=25000
PLACEMENT_PORT=28778
GLANCE_PORT=29292
NOVA_PORT=28774
NEUTRON_PORT=29696
COMPUTES=(fake-compute-1 fake-compute-2 fake-compute-3 fake-compute-4)
ADMIN_PASSWORD=hvpatch-admin
SERVICE_PASSWORD=hvpatch-service

log() { printf '[openstack %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

require_root() {
  [[ $EUID -eq 0 ]] || { echo "openstack: run as root" >&2; exit 1; }
}

# Starts a long-running process detached in its own session, logs to $LOG_DIR/<name>.log
# and records its PID: down kills only what is recorded here.
spawn() {
  local name="$1"; shift
  setsid "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$PID_DIR/$name.pid"
}

# One nova service from Debian's library package (its console scripts ship in packages we
# do not install): `spawn_nova NAME MODULE [--config-file F…]`, with nova.conf first.
spawn_nova() {
  local name="$1" module="$2"; shift 2
  spawn "$name" $PY -c "import sys; from nova.cmd.$module import main; sys.argv[0] = 'nova-$module'; sys.exit(main())" \
    --config-file "$STATE_DIR/etc/nova/nova.conf" "$@"
}

recorded_alive() {
  local file="$1" pid
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ -n $pid && -d /proc/$pid ]]
}

wait_http() {
  local url="$1" what="$2" tries="${3:-120}"
  for ((i = 0; i < tries; i++)); do
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.5
  done
  log "$what did not answer at $url; see $LOG_DIR"
  return 1
}
