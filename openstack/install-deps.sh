#!/usr/bin/env bash
# Installs Debian's OpenStack library packages for the Nova lab. Idempotent: apt does
# nothing when they are already there. Library packages only, so nothing starts by itself.
set -euo pipefail
[[ $EUID -eq 0 ]] || { echo "openstack/install-deps.sh: run as root" >&2; exit 1; }

PACKAGES=(postgresql-15 rabbitmq-server uwsgi-core uwsgi-plugin-python3 python3-psycopg2
  python3-keystone python3-placement python3-glance python3-nova python3-openstackclient
  python3-osc-placement)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

# Postinst scripts would otherwise start system-wide postgres/rabbitmq we do not want.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -q --no-install-recommends "${missing[@]}"; }
# Stale or missing package lists make install fail (404s, unknown packages): refresh once and retry.
apt_install || { apt-get update -q && apt_install; }
