#!/usr/bin/env bash
# One "boot" of a lab host: this process is PID 1 of the host's PID namespace, in its own
# mount and UTS namespaces, inside its network namespace (see supervisor.sh). It builds the
# host's root filesystem (an overlay of this machine's root with the host's own on-disk upper
# layer, so dpkg state survives a reboot), switches into it, starts sshd and libvirtd, and
# then waits. When it exits, the kernel kills every process of the host: that is the reboot.
#
# The lab hosts all share this machine's one real kernel: what a host reports as its running
# kernel is the lab kernel package that was installed when it booted (written to
# /run/hvlab/running-kernel), and its boot id is made up at each boot (/run/hvlab/boot_id).
set -euo pipefail
host="$1"
source "$(dirname "$0")/../lib/common.sh"
dir="$(host_dir "$host")"
root="$dir/root"

# Our PID as the machine sees it, read by bash itself (no fork) from the outer /proc, so that
# lab/down and lab/reboot can signal this host's init from outside.
while read -r key outer _; do
  [[ $key == NSpid: ]] && break
done </proc/self/status
echo "$outer $(proc_start_time "$outer")" >"$dir/init.pid"

mkdir -p "$dir/upper" "$dir/work" "$root"
# The previous boot's overlay may take a moment to go away with its mount namespace.
for _ in $(seq 50); do
  mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$root" 2>/dev/null && break
  sleep 0.1
done
mountpoint -q "$root" || die "cannot mount the root overlay of $host"

mount --rbind /dev "$root/dev"
mkdir -p "$root/var/lib/hvlab/host" "$root/var/lib/hvlab/serial" "$root/var/lib/hvlab/images" "$root/var/lib/hvlab/lab"
mount --bind "$dir/share" "$root/var/lib/hvlab/host"
mount --bind "$STATE_DIR/serial" "$root/var/lib/hvlab/serial"
mount --bind "$CACHE_DIR/guest" "$root/var/lib/hvlab/images"
mount -o remount,bind,ro "$root/var/lib/hvlab/images"
mount --bind "$LAB_DIR/host" "$root/var/lib/hvlab/lab"
mount -o remount,bind,ro "$root/var/lib/hvlab/lab"

# This PID namespace's own /proc, mounted before the switch: umount needs one to work.
mount -t proc proc "$root/proc"

cd "$root"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot 2>/dev/null || true

mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/lock /run/sshd /run/libvirt /run/hvlab
hostname "$host"

exec /var/lib/hvlab/lab/init.sh "$host"
