#!/usr/bin/env bash
# Builds the apt repository the controller serves to the lab hosts: both real QEMU builds
# (the newer one is the fix; the older one stays so that a rollback can downgrade to it) and
# two versions of the lab kernel package.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

repo="$STATE_DIR/repo"
rm -rf "$repo"
mkdir -p "$repo"

# A stand-in kernel: a package whose version a lab host reports as its running kernel after
# its next lab boot. Its source is named linux-* so that hvpatch classifies it as a kernel
# (a fix needs a reboot), as it would a real one.
build_lab_kernel() {
  local version="$1" abi="${1##*-}"
  local deb="$CACHE_DIR/lab-kernel/${LAB_KERNEL_PACKAGE}_${version}_all.deb"
  [[ -s $deb ]] && return 0
  local tree
  tree="$(mktemp -d)"
  mkdir -p "$tree/DEBIAN" "$tree/usr/lib/$LAB_KERNEL_PACKAGE" "$(dirname "$deb")"
  echo "6.1.0-$abi-hvlab" >"$tree/usr/lib/$LAB_KERNEL_PACKAGE/release"
  cat >"$tree/DEBIAN/control" <<CONTROL
Package: $LAB_KERNEL_PACKAGE
Source: $LAB_KERNEL_SOURCE
Version: $version
Architecture: all
Maintainer: hvpatch lab <lab@hvpatch.invalid>
Section: kernel
Priority: optional
Description: stand-in kernel of the hvpatch lab
 All lab hosts run the one real kernel of the machine they share. The version of this
 package installed when a lab host boots is what that host reports as its running kernel.
CONTROL
  dpkg-deb --root-owner-group -Zgzip --build "$tree" "$deb" >/dev/null
  rm -rf "$tree"
}
build_lab_kernel "$LAB_KERNEL_OLD"
build_lab_kernel "$LAB_KERNEL_NEW"

ln "$CACHE_DIR"/lab-kernel/*.deb "$CACHE_DIR"/debs/*.deb "$repo/"
(cd "$repo" && dpkg-scanpackages --multiversion . 2>/dev/null >Packages && gzip -9k Packages)
