#!/usr/bin/env bash
# Builds the tiny Brume test guest from Debian packages only (no internet image download):
#   vmlinux        ELF kernel extracted from the Debian 12 cloud bzImage (QEMU boots it by PVH, ~2x faster under TCG)
#   bzImage        the same kernel as shipped (fallback when extraction fails; what a bootloader loads)
#   initrd.img     busybox-static + /init (site-agent/guest/init) + virtio/isofs/button/evdev modules, gzip cpio
#   brume-guest.iso  a bootable ISO (isolinux -> bzImage + initrd.img): the artifact to upload to Glance with
#                  disk_format=iso, container_format=bare; boots on any BIOS hypervisor, ours included
#   manifest.env   KERNEL_VERSION, file names and sha512 of the ISO
# Usage: build.sh [OUT_DIR]   (default ./.brume/cache/guest). Idempotent: a stamp of the inputs skips rebuilds.
# Needs: apt-get (download only), dpkg, kmod (depmod), cpio, gzip, lz4/xz/zstd, genisoimage, busybox-static.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-./.brume/cache/guest}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

pick_kernel() {
  apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | grep -E '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | sort -V | tail -n 1
}
kpkg="${BRUME_GUEST_KERNEL_PKG:-$(pick_kernel)}"
[ -n "$kpkg" ] || { echo "build.sh: no linux-image-6.1.0-*-cloud-amd64 in apt-cache (run apt-get update?)" >&2; exit 1; }
kver="${kpkg#linux-image-}"

stamp="$(cat "$here/build.sh" "$here/init" "$here/udhcpc.script" | sha256sum | cut -c1-16)-$kver"
if [ -f "$out/manifest.env" ] && grep -qx "STAMP=$stamp" "$out/manifest.env"; then
  echo "$out"
  exit 0
fi

work="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

# --- packages (download only: installing linux-image would pull systemd and an initramfs generator) ---------------
apt-get download -q "$kpkg" isolinux syslinux-common >/dev/null 2>apt.err || { cat apt.err >&2; exit 1; }
mkdir -p pkg
for deb in ./*.deb; do dpkg -x "$deb" pkg; done
bzimage="pkg/boot/vmlinuz-$kver"
moddir="pkg/lib/modules/$kver"
[ -f "$bzimage" ] || { echo "build.sh: $bzimage missing from $kpkg" >&2; exit 1; }
depmod -b pkg "$kver"

# --- vmlinux: the kernel tree's extract-vmlinux method (find the compressed payload, decompress, check ELF) ---------
is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = "7f454c46" ]; }
try_decomp() { # $1 magic (printf escapes), $2 decompressor
  local off
  for off in $(LC_ALL=C grep -aboF "$(printf '%b' "$1")" "$bzimage" | cut -d: -f1 | head -n 5); do
    tail -c "+$((off + 1))" "$bzimage" | $2 >vmlinux.try 2>/dev/null || true
    if [ -s vmlinux.try ] && is_elf vmlinux.try; then mv vmlinux.try vmlinux; return 0; fi
  done
  return 1
}
try_decomp '\x02\x21\x4c\x18' 'lz4 -dc' || try_decomp '\xfd7zXZ\x00' 'xz -dc' ||
  try_decomp '\x28\xb5\x2f\xfd' 'zstd -dc' || try_decomp '\x1f\x8b\x08' 'gzip -dc' ||
  echo "build.sh: could not extract an ELF vmlinux; only bzImage will be available" >&2

# --- initramfs -----------------------------------------------------------------------------------------------------
root="initramfs"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,root,usr/bin,usr/sbin} "$root/lib/modules/$kver"
cp /bin/busybox "$root/bin/busybox"
file_is_static=$(od -An -c -N 4 /bin/busybox | tr -d ' ')
[ "$file_is_static" = '177ELF' ] || { echo "build.sh: /bin/busybox is not an ELF binary" >&2; exit 1; }
for applet in sh mount umount mkdir cat echo sed grep ls sleep ip ifconfig route udhcpc hostname modprobe insmod \
  poweroff reboot head tail tr cut base64 dd od mknod blkid findfs uname ping sync setsid cttyhack true false \
  ps kill wc date awk wget timeout; do
  ln -sf busybox "$root/bin/$applet"
done
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/udhcpc.script" "$root/etc/udhcpc.script"
echo brume-guest >"$root/etc/hostname"

want="virtio_pci virtio_blk virtio_net isofs button evdev"
declare -A seen=()
add_mod() { # copies a module and (recursively) its dependencies, decompressed
  local rel="$1" dep
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  for dep in $(grep -E "^${rel}:" "$moddir/modules.dep" | cut -d: -f2-); do add_mod "$dep"; done
  mkdir -p "$root/lib/modules/$kver/$(dirname "${rel%.xz}")"
  case "$rel" in
    *.xz) xz -dc "$moddir/$rel" >"$root/lib/modules/$kver/${rel%.xz}" ;;
    *.zst) zstd -qdc "$moddir/$rel" >"$root/lib/modules/$kver/${rel%.zst}" ;;
    *) cp "$moddir/$rel" "$root/lib/modules/$kver/$rel" ;;
  esac
}
for m in $want; do
  rel="$(grep -E "/${m}\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -n 1 | cut -d: -f1)"
  if [ -n "$rel" ]; then add_mod "$rel"
  elif ! grep -qE "/${m}\.ko$" "$moddir/modules.builtin"; then echo "build.sh: module $m not found" >&2; exit 1
  fi
done
cp "$moddir/modules.builtin" "$moddir/modules.builtin.modinfo" "$moddir/modules.order" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"
echo "$want" >"$root/etc/modules"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner=0:0 | gzip -9n) >initrd.img

# --- bootable ISO for Glance (isolinux; El Torito no-emulation) ----------------------------------------------------
iso="isoroot"
mkdir -p "$iso/isolinux" "$iso/boot"
cp pkg/usr/lib/ISOLINUX/isolinux.bin pkg/usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$bzimage" "$iso/boot/bzImage"
cp initrd.img "$iso/boot/initrd.img"
cat >"$iso/isolinux/isolinux.cfg" <<CFG
DEFAULT brume
PROMPT 0
TIMEOUT 0
LABEL brume
  KERNEL /boot/bzImage
  APPEND initrd=/boot/initrd.img console=ttyS0 quiet
CFG
genisoimage -quiet -o brume-guest.iso -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot \
  -boot-load-size 4 -boot-info-table -V BRUME-GUEST -r -J "$iso"

# --- publish (rename into place; the manifest goes last, so a partial build is never taken as done) ----------------
rm -f "$out/manifest.env"
rm -f "$out/vmlinux"
if [ -f vmlinux ]; then mv vmlinux "$out/vmlinux"; fi
cp "$bzimage" "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
mv initrd.img "$out/initrd.img"
mv brume-guest.iso "$out/brume-guest.iso"
{
  echo "KERNEL_PACKAGE=$kpkg"
  echo "KERNEL_VERSION=$kver"
  if [ -f "$out/vmlinux" ]; then echo "KERNEL=vmlinux"; else echo "KERNEL=bzImage"; fi
  echo "INITRD=initrd.img"
  echo "ISO=brume-guest.iso"
  echo "ISO_SHA512=$(sha512sum "$out/brume-guest.iso" | cut -d' ' -f1)"
  echo "CMDLINE=console=ttyS0 quiet"
  echo "STAMP=$stamp"
} >"$out/manifest.env.tmp"
mv "$out/manifest.env.tmp" "$out/manifest.env"
echo "$out"
