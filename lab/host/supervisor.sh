#!/usr/bin/env bash
# The lab host's "power supply", in the machine's own namespaces: boots the host in its
# network namespace with fresh mount, UTS and PID namespaces, and boots it again each time
# its PID 1 asks for a reboot (exit status 42). Any other end is a crash or a power-off: the
# host stays down. lab/down stops this by its recorded PID.
set -uo pipefail
host="$1"
source "$(dirname "$0")/../lib/common.sh"
dir="$(host_dir "$host")"

while :; do
  rm -f "$dir/share/ready"
  ip netns exec "$(netns_of "$host")" \
    unshare --mount --uts --pid --fork --propagation private \
    "$LAB_DIR/host/boot.sh" "$host" >>"$dir/console.log" 2>&1
  status=$?
  echo "[supervisor $(date +%T)] $host's PID 1 ended with status $status" >>"$dir/console.log"
  ((status == 42)) || break
  date +%s.%N >>"$dir/reboots"
done
rm -f "$dir/share/ready"
