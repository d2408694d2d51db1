#!/usr/bin/env bash
# Builds Kumo's tiny cirros-like test guest from Debian packages only
# (apt-get download): the cloud kernel, busybox-static and dropbear with the
# libraries it links. The root filesystem lives in an initramfs; kernel and
# initramfs sit on a FAT partition booted by syslinux from the MBR, so the
# image boots through the BIOS like a real cloud image. No loop devices or
# mounts are needed. See docs/guest-image.md.
#
# Usage: scripts/build-guest-image.sh [--force]
# Prints the path of the qcow2 image as its last line. Cached in
# ${KUMO_CACHE_DIR:-$HOME/.cache/kumo}/guest-image/ under a hash of this
# script, scripts/guest-image/ and the package versions.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
files="$here/guest-image"
cache="${KUMO_CACHE_DIR:-$HOME/.cache/kumo}/guest-image"
force=0
[ "${1:-}" = "--force" ] && force=1

say() { printf 'build-guest-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Host tools, each with the Debian package that provides it.
need_tools() {
  local missing=() pair
  for pair in dpkg-deb:dpkg apt-get:apt cpio:cpio gzip:gzip sfdisk:fdisk mkfs.fat:dosfstools \
    mcopy:mtools syslinux:syslinux qemu-img:qemu-utils sha256sum:coreutils flock:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing+=(syslinux-common)
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The cloud kernel metapackage depends on one versioned linux-image package.
# (awk reads all input: an early exit would SIGPIPE apt-cache and trip pipefail.)
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    awk '/Depends: linux-image-[0-9]/ && !k {k = $2} END {print k}'
}

# "package=candidate version" lines for the given packages, in that order.
candidates() {
  apt-cache policy "$@" 2>/dev/null | awk -v want="$*" '
    /^[^ ]/ {sub(/:$/, ""); p = $0}
    /^  Candidate:/ {v[p] = $2}
    END {n = split(want, w, " "); for (i = 1; i <= n; i++) print w[i] "=" v[w[i]]}'
}

# Sets kpkg, packages and versions. apt-cache takes seconds per call here, so
# the answer is remembered until the apt lists change (apt-get update).
resolve_packages() {
  local lists memo
  lists=$({ stat -c '%n %Y %s' /var/lib/apt/lists/*Packages* /etc/apt/preferences* 2>/dev/null || true; } |
    sha256sum | cut -c1-16)
  memo="$cache/.packages-$lists"
  versions=$(cat "$memo" 2>/dev/null || true)
  if [ -n "$versions" ]; then
    versions+=$'\n'
  else
    kpkg=$(kernel_package)
    if [ -z "$kpkg" ]; then
      say "apt has no linux-image-cloud-amd64: running apt-get update"
      as_root apt-get update -qq
      kpkg=$(kernel_package)
      [ -n "$kpkg" ] || die "linux-image-cloud-amd64 is not available from apt"
    fi
    # dropbear-bin's shared libraries come from these packages (checked below).
    versions=$(candidates "$kpkg" busybox-static dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g)$'\n'
    if grep -qE '=(\(none\))?$' <<<"$versions"; then
      die "no candidate version for: $(grep -E '=(\(none\))?$' <<<"$versions" | tr '\n' ' ')"
    fi
    mkdir -p "$cache"
    find "$cache" -maxdepth 1 -name '.packages-*' ! -name "${memo##*/}" -delete
    printf '%s' "$versions" > "$memo.$$"
    mv "$memo.$$" "$memo"
  fi
  packages=()
  local line
  while read -r line; do [ -n "$line" ] && packages+=("$line"); done <<<"$versions"
  kpkg=${packages[0]%%=*}
}

image_hash() {
  {
    sha256sum "$self"
    (cd "$files" && find . -type f | LC_ALL=C sort | xargs -d '\n' sha256sum)
    (cd "$files" && find . -type f -perm -u+x | LC_ALL=C sort)
    printf '%s' "$versions"
  } | sha256sum | cut -c1-16
}

need_tools
resolve_packages
hash=$(image_hash)
image="$cache/kumo-guest-$hash.qcow2"
mkdir -p "$cache"

# One build at a time per cache (parallel test files may all ask for it).
exec 9>"$cache/.build.lock"
flock 9
if [ "$force" -eq 0 ] && [ -f "$image" ] && [ -f "$image.sha256" ]; then
  echo "$image"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kumo-guest.XXXXXX")
trap 'rm -rf "$work"' EXIT
deb="$work/debs" x="$work/x" root="$work/root"
mkdir -p "$deb" "$x" "$root"

say "downloading: ${packages[*]}"
# apt-get download as root drops to _apt, which needs write access.
chmod 0777 "$deb"
if ! (cd "$deb" && apt-get download -qq "${packages[@]}" >/dev/null 2>&1); then
  # Stale apt lists name versions the mirror no longer has: refresh them and
  # start over once (the versions, hence the image hash, may change).
  [ -z "${KUMO_GUEST_IMAGE_RETRY:-}" ] || die "apt-get download ${packages[*]} failed"
  say "download failed: refreshing apt lists and starting over"
  as_root apt-get update -qq
  rm -rf "$work" "$cache"/.packages-*
  KUMO_GUEST_IMAGE_RETRY=1 exec "$self" "$@"
fi
for f in "$deb"/*.deb; do dpkg-deb -x "$f" "$x"; done

kver=${kpkg#linux-image-}
bb="$x/bin/busybox"
[ -x "$bb" ] || die "busybox-static has no /bin/busybox"

# --- root filesystem -------------------------------------------------------
say "assembling the root filesystem"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,mnt,root,home/cirros,var/log,lib/modules} "$root/etc/kumo"
chmod 700 "$root/root"
install -m 0755 "$bb" "$root/bin/busybox"
# One symlink per applet, at the path busybox itself reports.
"$bb" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] || [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
ln -s /sbin/init "$root/init"

# dropbear and exactly the shared libraries it loads, taken from the
# downloaded packages (the dynamic loader lists them; the host's are not used).
ld="$x/lib64/ld-linux-x86-64.so.2"
libpath="$x/lib/x86_64-linux-gnu:$x/usr/lib/x86_64-linux-gnu"
install -m 0755 "$x/usr/sbin/dropbear" "$root/usr/sbin/dropbear"
install -m 0755 "$x/usr/bin/dropbearkey" "$root/usr/bin/dropbearkey"
install -m 0755 "$x/usr/bin/dbclient" "$root/usr/bin/dbclient"
mkdir -p "$root/lib64" "$root/lib/x86_64-linux-gnu"
install -m 0755 "$ld" "$root/lib64/ld-linux-x86-64.so.2"
for bin in dropbear dropbearkey dbclient; do
  f=$(find "$root/usr" -name "$bin" -type f)
  "$ld" --inhibit-cache --library-path "$libpath" --list "$f" | awk '/=>/ && $1 !~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  case "$path" in
    "$x"/*) cp -L "$path" "$root/lib/x86_64-linux-gnu/$name" ;;
    *) die "dropbear needs $name, which is not in the downloaded packages ($path)" ;;
  esac
done
[ -f "$root/lib/x86_64-linux-gnu/libc.so.6" ] || die "failed to collect dropbear's libraries"

# Kernel modules: the wanted ones plus their dependencies (from a modules.dep
# made by busybox depmod over the package's module tree).
"$bb" depmod -b "$x" "$kver"
mods="$x/lib/modules/$kver"
grep -v '^#' "$files/modules" | while read -r m; do
  [ -n "$m" ] || continue
  line=$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$mods/modules.dep") || die "kernel module $m not found"
  for k in ${line/:/}; do echo "$k"; done
done | sort -u | while read -r k; do
  mkdir -p "$root/lib/modules/$kver/$(dirname "$k")"
  cp "$mods/$k" "$root/lib/modules/$kver/$k"
done
cp "$mods/modules.builtin" "$mods/modules.order" "$root/lib/modules/$kver/" 2>/dev/null || true
"$bb" depmod -b "$root" "$kver"
grep -v '^#' "$files/modules" > "$root/etc/kumo/modules"

# The guest's own files (init scripts, inittab...), then the accounts.
cp -r --preserve=mode "$files/rootfs/." "$root/"
pwhash=$("$bb" mkpasswd -m sha512 gocubsgo kumoguestsalt)
cat > "$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/bin/sh
cirros:x:1000:1000:cirros:/home/cirros:/bin/sh
PASSWD
cat > "$root/etc/group" <<GROUP
root:x:0:
cirros:x:1000:
GROUP
cat > "$root/etc/shadow" <<SHADOW
root:*:19000:0:99999:7:::
cirros:$pwhash:19000:0:99999:7:::
SHADOW
chmod 640 "$root/etc/shadow"
echo kumo-guest > "$root/etc/hostname"
chown -R 0:0 "$root"
chown -R 1000:1000 "$root/home/cirros"
# Setuid root as on CirrOS, so cirros may ping: busybox keeps root only for the applets that need it (ping, su).
# (After the chown, which clears the bit.)
chmod 4755 "$root/bin/busybox"
# The kernel's built-in initramfs has /dev/console; add it too where allowed.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) |
  gzip -9 -n > "$work/initrd.gz"

# --- disk: MBR + one bootable FAT partition holding syslinux, kernel, initrd -
say "making the disk"
kernel="$x/boot/vmlinuz-$kver"
need_kib=$(( ($(stat -c %s "$kernel") + $(stat -c %s "$work/initrd.gz")) / 1024 + 2048 ))
part_mib=$(( (need_kib + 1023) / 1024 ))
part="$work/part.img"
truncate -s "${part_mib}M" "$part"
mkfs.fat -n KUMOBOOT "$part" >/dev/null
syslinux --install "$part"
mcopy -i "$part" "$kernel" ::vmlinuz
mcopy -i "$part" "$work/initrd.gz" ::initrd.gz
mcopy -i "$part" "$files/syslinux.cfg" ::syslinux.cfg

disk="$work/disk.raw"
truncate -s "$((part_mib + 1))M" "$disk"
printf 'label: dos\nstart=2048, type=c, bootable\n' | sfdisk -q "$disk"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc status=none

qemu-img convert -q -f raw -O qcow2 "$disk" "$work/image.qcow2"
(cd "$work" && sha256sum image.qcow2 | sed "s/image.qcow2/$(basename "$image")/" > image.qcow2.sha256)
mv "$work/image.qcow2.sha256" "$image.sha256.tmp"
mv "$work/image.qcow2" "$image"
mv "$image.sha256.tmp" "$image.sha256"
# Older builds are stale now (their inputs changed).
find "$cache" -maxdepth 1 -name 'kumo-guest-*.qcow2*' ! -name "$(basename "$image")*" -delete
say "built $(basename "$image") ($(du -k "$image" | cut -f1) KiB)"
echo "$image"
