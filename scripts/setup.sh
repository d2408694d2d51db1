#!/usr/bin/env bash
# Installs what Kumo needs on a Debian/Ubuntu machine, once: Debian packages,
# npm dependencies from the lockfile, and the compiled CLI. Safe to re-run;
# it only does work that is missing.
#   scripts/setup.sh          runtime only (kumo up)
#   scripts/setup.sh --test   also the test tools (openstack CLI, tempest)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
need_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || missing+=("$1"); }

command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
# qemu-utils: qemu-img reads virtual sizes of uploaded images and makes server disks.
# qemu-system-x86: the compute agent's hypervisor (KVM when usable, TCG otherwise).
# dnsmasq-base: DHCP for guest networks. iptables: security groups, SNAT and floating IPs. genisoimage: config drives.
for p in python3 make g++ iproute2 iptables qemu-utils qemu-system-x86 dnsmasq-base genisoimage; do need_pkg "$p"; done
if [ "$want_test" -eq 1 ]; then
  # chromium: browser tests of the noVNC console; iputils-ping, busybox (udhcpc): ping and DHCP clients in the network lab;
  # the rest builds the tiny guest image (scripts/build-guest-image.sh).
  for p in python3-openstackclient tempest chromium openssh-client iputils-ping busybox cpio mtools syslinux syslinux-common dosfstools fdisk; do need_pkg "$p"; done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  say "Node.js $(node --version) is too old: Kumo needs Node.js 20 or newer." >&2
  exit 1
fi

# npm ci only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' -print -quit)" ]; then
  say "building"
  npm run --silent build
fi
