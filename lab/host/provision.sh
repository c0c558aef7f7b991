#!/usr/bin/env bash
# First boot of a lab host, run inside it: what an installer and configuration management
# would have done. Everything written here lands in the host's own overlay layer.
set -euxo pipefail
host="$1"
share=/var/lib/hvlab/host
# shellcheck source=/dev/null
source "$share/host.env" # CONTROLLER, REPO_PORT, HOSTS_FILE_LINES, LAB_KERNEL_PACKAGE, LAB_KERNEL_OLD

printf '127.0.0.1 localhost\n%s\n' "$HOSTS_FILE_LINES" >/etc/hosts
echo "$host" >/etc/hostname

# root's shell as Debian installs it, not the machine's: every SSH command runs through it, and
# a start-up script that writes (pyenv's rehash takes a lock file in /root) leaves a stale lock
# in this host's layer when a reboot cuts it short, hanging every later command.
cp /etc/skel/.bashrc /etc/skel/.profile /root/
rm -f /root/.bash_profile /root/.bash_login

# sshd: the host's own key, the controller's key only, nothing else.
install -m 600 "$share/ssh_host_ed25519_key" /etc/ssh/hvlab_host_ed25519_key
install -m 644 "$share/ssh_host_ed25519_key.pub" /etc/ssh/hvlab_host_ed25519_key.pub
install -m 644 "$share/authorized_keys" /etc/ssh/hvlab_authorized_keys
cat >/etc/ssh/sshd_config.d/hvlab.conf <<'EOF'
HostKey /etc/ssh/hvlab_host_ed25519_key
AuthorizedKeysFile /etc/ssh/hvlab_authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/sshd.pid
EOF

# libvirtd over plain TCP without authentication: reachable only inside the lab's namespaces.
cat >/etc/libvirt/libvirtd.conf <<EOF
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
# No systemd, no cgroups, no SELinux/AppArmor here; QEMU's stdio goes to a plain file
# instead of virtlogd. cgroups are off because all hosts would share one hierarchy.
cat >>/etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
EOF

install -m 755 /var/lib/hvlab/lab/hvlab-service /usr/local/sbin/hvlab-service
install -m 755 /var/lib/hvlab/lab/hvlab-reboot /usr/local/sbin/hvlab-reboot

# apt: only the controller's repository.
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo "deb [trusted=yes] http://$CONTROLLER:$REPO_PORT ./" >/etc/apt/sources.list.d/hvlab.list
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$LAB_KERNEL_PACKAGE=$LAB_KERNEL_OLD"

mkdir -p /etc/hvlab
touch /etc/hvlab/provisioned
