#!/usr/bin/env bash
# Prints the libvirt definition of one lab guest: NAME MEMORY_MIB.
# TCG (type='qemu'): this machine's /dev/kvm cannot run a stock guest kernel. The serial log
# lives in a directory every host mounts at the same path and is opened in append mode, so
# that after a live migration the destination's QEMU continues the same file.
set -euo pipefail
name="$1" memory="$2"
cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$memory</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/var/lib/hvlab/images/vmlinux</kernel>
    <initrd>/var/lib/hvlab/images/initramfs.cpio.gz</initrd>
    <cmdline>console=ttyS0 quiet</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='/var/lib/hvlab/serial/$name.log' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
