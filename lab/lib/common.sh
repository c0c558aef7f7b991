# Shared by every lab script: where things live and the few constants they must agree on.
# Sourced, never run. Paths are absolute so that scripts can be started from anywhere.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$LAB_DIR/.cache"
STATE_DIR="$LAB_DIR/.state"
STATE_FILE="$STATE_DIR/lab.json"

# The two real QEMU builds Debian 12 carries: the security archive's and main's (a binNMU,
# hence +b3 on the architecture-dependent packages but not on qemu-system-data).
QEMU_OLD="1:7.2+dfsg-7+deb12u15"
QEMU_NEW="1:7.2+dfsg-7+deb12u18+b3"
QEMU_DATA_NEW="1:7.2+dfsg-7+deb12u18"
QEMU_ARCH_PACKAGES=(qemu-system-x86 qemu-system-common qemu-utils)

# The lab kernel is a tiny package, not a kernel: every lab host runs this machine's one real
# kernel. Its version only becomes the host's "running kernel" at the next lab boot. It is
# named like a Debian kernel image (linux-image-<abi>-<flavour>, release 6.1.0-N-hvlab) so
# that hvpatch plans its fix as it would a real kernel's: install the image the advisory
# names for the running flavour, then reboot.
LAB_KERNEL_PACKAGE="linux-image-6.1.0-hvlab"
LAB_KERNEL_SOURCE="linux-hvpatch-lab"
LAB_KERNEL_OLD="6.1.0-1"
LAB_KERNEL_NEW="6.1.0-2"

SUBNET_PREFIX="10.77.0"
CONTROLLER_ADDRESS="$SUBNET_PREFIX.1"
REPO_PORT=8080
NETNS_SWITCH="hvlab-sw"
NETNS_CONTROLLER="hvlab-ctl"
LAB_HOSTS=(lab1 lab2 lab3)
GUEST_MEMORY_MIB=256

netns_of() { echo "hvlab-$1"; }
address_of() {
  local index="${1#lab}"
  echo "$SUBNET_PREFIX.$((10 + index))"
}
host_dir() { echo "$STATE_DIR/hosts/$1"; }

log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

require_root() { [[ $EUID -eq 0 ]] || die "run as root: the lab makes namespaces and mounts"; }

# Sends a signal only to a PID we recorded, and only if it is still the process we started
# (a recycled PID would belong to someone else): the recorded start time must match.
kill_recorded() {
  local signal="$1" pid_file="$2"
  [[ -f $pid_file ]] || return 0
  local pid start
  read -r pid start <"$pid_file" || return 0
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if [[ -d /proc/$pid && "$(proc_start_time "$pid")" == "$start" ]]; then
    kill "-$signal" "$pid" 2>/dev/null || true
    return 0
  fi
  return 1
}

recorded_alive() {
  local pid_file="$1" pid start
  [[ -f $pid_file ]] || return 1
  read -r pid start <"$pid_file" || return 1
  [[ $pid =~ ^[0-9]+$ && -d /proc/$pid && "$(proc_start_time "$pid")" == "$start" ]]
}

# Field 22 of /proc/PID/stat (start time in clock ticks since boot), after the command name,
# which may itself contain spaces and parentheses.
proc_start_time() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  # shellcheck disable=SC2086
  set -- $stat
  echo "${20}"
}

record_pid() { echo "$1 $(proc_start_time "$1")" >"$2"; }

wait_for() {
  local what="$1" seconds="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what"
    sleep 0.2
  done
}
