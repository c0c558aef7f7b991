#!/usr/bin/env bash
# Installs what the lab needs on this machine and caches the packages the lab's repository
# serves. Idempotent: a second run checks and downloads nothing it already has.
#
# This machine's root filesystem is the lower layer of every lab host, so the QEMU installed
# here is the one every host starts on: the OLDER build (u15). The newer one (u18+b3) is only
# cached, for the controller's repository, so that a host gets it by a real `apt-get` upgrade.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
require_root

debs="$CACHE_DIR/debs"
mkdir -p "$debs" "$CACHE_DIR/kernel"

base_packages=(busybox-static libvirt-daemon-system libvirt-clients openssh-server openssh-client
  dpkg-dev xz-utils iproute2)
qemu_pins=()
for p in "${QEMU_ARCH_PACKAGES[@]}" qemu-system-data; do qemu_pins+=("$p=$QEMU_OLD"); done

# Postinst scripts must not start the machine's own libvirtd or sshd: each lab host starts its own.
if [[ ! -x /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\n# Keep package scripts from starting services (hvpatch lab).\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi

installed_ok() {
  local want name version status
  for want in "${base_packages[@]}" "${qemu_pins[@]}"; do
    name="${want%%=*}"
    status="$(dpkg-query -W -f '${db:Status-Abbrev}|${Version}' "$name" 2>/dev/null)" || return 1
    [[ ${status%%|*} == "ii " ]] || return 1
    if [[ $want == *=* ]]; then
      version="${want#*=}"
      [[ ${status#*|} == "$version" ]] || return 1
    fi
  done
}

apt_knows() { apt-cache show "qemu-system-x86=$QEMU_OLD" "qemu-system-x86=$QEMU_NEW" >/dev/null 2>&1; }

updated=0
ensure_lists() {
  if ((updated == 0)) && ! apt_knows; then
    log "apt-get update"
    apt-get update -qq
    updated=1
  fi
}

if ! installed_ok; then
  for h in "${LAB_HOSTS[@]}"; do
    if recorded_alive "$(host_dir "$h")/supervisor.pid"; then
      die "the lab is up: bring it down (lab/down) before changing the packages its hosts are layered on"
    fi
  done
  ensure_lists
  log "installing packages (QEMU pinned to $QEMU_OLD)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \
    "${base_packages[@]}" "${qemu_pins[@]}" >/dev/null
fi

# `apt-get download` names files by package_version_arch with the epoch's colon escaped.
deb_file() { echo "$debs/${1}_${2/:/%3a}_${3}.deb"; }
download() {
  local name="$1" version="$2" arch="$3"
  [[ -s "$(deb_file "$name" "$version" "$arch")" ]] && return 0
  ensure_lists
  (cd "$debs" && apt-get download -qq "$name=$version" 2>/dev/null) ||
    die "cannot download $name=$version"
}

for p in "${QEMU_ARCH_PACKAGES[@]}"; do
  download "$p" "$QEMU_OLD" amd64
  download "$p" "$QEMU_NEW" amd64
done
download qemu-system-data "$QEMU_OLD" all
download qemu-system-data "$QEMU_DATA_NEW" all

# The guest kernel is Debian's own, extracted rather than installed (no boot loader, no initramfs-tools).
if ! compgen -G "$CACHE_DIR/kernel/linux-image-*.deb" >/dev/null; then
  ensure_lists
  image="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')"
  [[ -n $image ]] || die "cannot tell which kernel linux-image-amd64 depends on"
  log "downloading guest kernel $image"
  (cd "$CACHE_DIR/kernel" && apt-get download -qq "$image" 2>/dev/null) || die "cannot download $image"
fi
log "dependencies ready"
