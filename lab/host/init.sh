#!/usr/bin/env bash
# PID 1 of a lab host once its root is in place (boot.sh). Sets the host up on its first
# boot, then at every boot records what a real host would know about itself (boot id,
# running kernel), starts sshd and libvirtd, says it is ready, and waits.
#
# SIGTERM is the host's reboot button (hvlab-reboot sends it): exiting with 42 tells the
# supervisor outside to boot the host again. Any other end of PID 1 (SIGKILL: lab/kill) is a
# crash, and the host stays down until lab/reboot powers it on.
set -uo pipefail
host="$1"
share=/var/lib/hvlab/host

trap 'exit 42' TERM

if [[ ! -e /etc/hvlab/provisioned ]]; then
  /var/lib/hvlab/lab/provision.sh "$host" >"$share/provision.log" 2>&1 || {
    echo "provisioning failed, see $share/provision.log" >"$share/failed"
    exit 1
  }
fi

cat /proc/sys/kernel/random/uuid >/run/hvlab/boot_id
source "$share/host.env" # LAB_KERNEL_PACKAGE
{
  echo "release=$(cat "/usr/lib/$LAB_KERNEL_PACKAGE/release")"
  echo "version=$(dpkg-query -W -f '${Version}' "$LAB_KERNEL_PACKAGE")"
  echo "source=$(dpkg-query -W -f '${source:Package}' "$LAB_KERNEL_PACKAGE")"
} >/run/hvlab/running-kernel

/usr/local/sbin/hvlab-service start sshd
/usr/local/sbin/hvlab-service start libvirtd
# The first client connection makes libvirtd probe QEMU's capabilities (~8 s); pay it here,
# so that "ready" means ready.
virsh -c qemu:///system list --all >/dev/null 2>&1

cp /run/hvlab/boot_id "$share/ready"

# Bash reaps every child, orphans included, while it waits: PID 1's other job.
while :; do
  sleep 3600 &
  wait $!
done
