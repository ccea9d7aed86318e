#!/bin/bash
# Builds skiff's second test image: a Debian 12 (bookworm) cloud image with Debian's REAL cloud-init, bootable from
# one disk file, without loop devices. The fast test image (images/test-image/) has a cloud-init stand-in; this one
# checks that what skiff hands a guest means to the real cloud-init what the user wrote.
#
#   bash images/cloudinit-image/build.sh      (or: npm run cloudinit-image)
#
# Prints the qcow2's absolute path as the LAST line of stdout; progress goes to stderr. Cached: a second run with the
# same recipe (this file + package set) is a no-op.
# Layout: MBR; p1 FAT16 (bootable, label BOOT) with SYSLINUX + kernel + initrd; p2 ext4 root (label
# cloudimg-rootfs, made with `mke2fs -d`), last on the disk so cloud-init's growpart can grow it.
# Output: $OUT/debian-12-cloudinit-$NET.qcow2 (compressed).  Cache: $CACHE/rootfs-<hash>.tar (mmdebstrap).
# Usage: build.sh [OUTDIR]     env: SKIFF_CLOUDINIT_IMAGE_CACHE (default <repo>/.cache/cloudinit-image),
#   REBUILD=1 to ignore the cache,
#   NET=networkd (default: systemd-networkd, no extra package) or NET=ifupdown (adds ifupdown: cloud-init's eni renderer).
# Mirror: read from the host's apt configuration (no host name is hard-coded here).
set -euo pipefail
exec 3>&1 1>&2 # stdout is for the image path alone
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${SKIFF_CLOUDINIT_IMAGE_CACHE:-$REPO/.cache/cloudinit-image}
SUITE=bookworm
NET=${NET:-networkd}
mkdir -p "$CACHE"
need() { command -v "$1" >/dev/null || MISSING="${MISSING:-} $2"; }
need mmdebstrap mmdebstrap; need mke2fs e2fsprogs; need mcopy mtools; need syslinux syslinux
need sfdisk fdisk; need mkfs.vfat dosfstools; need qemu-img qemu-utils
[ -e /usr/lib/syslinux/mbr/mbr.bin ] || MISSING="${MISSING:-} syslinux-common"
if [ -n "${MISSING:-}" ]; then apt-get install -y --no-install-recommends $MISSING; fi

# --- mirror URIs from the host's apt sources (deb822 *.sources first, then one-line lists) ---
mirror_for() {  # $1 = suite regex; prints the first URI whose Suites match
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v want="$1" 'BEGIN{RS="";FS="\n"} {u="";s="";ty=""; for(i=1;i<=NF;i++){ if($i~/^URIs:/){sub(/^URIs:[ \t]*/,"",$i);split($i,a," ");u=a[1]} if($i~/^Suites:/){s=$i} if($i~/^Types:/){ty=$i} } if(ty~/deb( |$)/ && s~want && u!=""){print u; exit}}' "$f"
  done | head -n1
}
MAIN=$(mirror_for "(^|[ :])$SUITE( |$)"); SEC=$(mirror_for "$SUITE-security")
if [ -z "$MAIN" ]; then MAIN=$(awk -v s="$SUITE" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true); fi
if [ -z "$SEC" ]; then SEC=$(awk -v s="$SUITE-security" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true); fi
[ -n "$MAIN" ] || { echo "no $SUITE mirror in the host's apt sources" >&2; exit 1; }
echo "mirror: $MAIN  security: ${SEC:-none}"

PKGS="linux-image-cloud-amd64,systemd,systemd-sysv,udev,dbus,cloud-init,openssh-server,sudo,cloud-guest-utils,e2fsprogs,locales"
case "$NET" in
  networkd) NETHOOK='chroot "$1" systemctl enable systemd-networkd.service' ;;
  ifupdown) PKGS="$PKGS,ifupdown"
            NETHOOK='printf "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n" > "$1/etc/network/interfaces"' ;;
  *) echo "NET must be networkd or ifupdown" >&2; exit 1 ;;
esac
KEY=$(printf '%s\n' "$SUITE" "$PKGS" "$NET" "v4" | sha256sum | cut -c1-12)
RECIPE=$(cat "$HERE/build.sh" | sha256sum | cut -c1-12)
OUT=${1:-$CACHE/out-$KEY-$RECIPE}
mkdir -p "$OUT"
IMAGE=$OUT/debian-12-cloudinit-$NET.qcow2
if [ -s "$IMAGE" ] && [ -z "${REBUILD:-}" ]; then echo "$IMAGE" >&3; exit 0; fi
TAR=$CACHE/rootfs-$KEY.tar
[ -d "$TAR" ] && rm -rf "$TAR"
if [ ! -f "$TAR" ] || [ ! -s "$TAR" ] || [ -n "${REBUILD:-}" ]; then
  rm -rf "$TAR.tmp"
  SRC=("deb $MAIN $SUITE main" "deb $MAIN $SUITE-updates main")
  [ -n "$SEC" ] && SRC+=("deb $SEC $SUITE-security main")
  # customize-hook runs inside the finished chroot ($1): make it a generic cloud image
  mmdebstrap --format=tar --variant=minbase --include="$PKGS" \
    --customize-hook='echo "localhost" > "$1/etc/hostname"' \
    --customize-hook='printf "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" > "$1/etc/hosts"' \
    --customize-hook='printf "LABEL=cloudimg-rootfs\t/\text4\tdefaults,errors=remount-ro\t0\t1\n" > "$1/etc/fstab"' \
    --customize-hook='sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" "$1/etc/locale.gen"; chroot "$1" locale-gen; echo "LANG=en_US.UTF-8" > "$1/etc/default/locale"' \
    --customize-hook="$NETHOOK" \
    --customize-hook='chroot "$1" systemctl enable serial-getty@ttyS0.service || true' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : > "$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"' \
    --customize-hook='rm -rf "$1"/var/lib/cloud/* "$1"/var/log/cloud-init*; rm -f "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/lib/apt/lists/*' \
    --customize-hook='rm -f "$1/usr/sbin/policy-rc.d"' \
    "$SUITE" "$TAR.tmp" "${SRC[@]}"
  mv "$TAR.tmp" "$TAR"
fi

W=$CACHE/work-$KEY; rm -rf "$W"; mkdir -p "$W/root"
tar -C "$W/root" --numeric-owner --xattrs --xattrs-include='*' -xpf "$TAR"
KVER=$(ls "$W/root/lib/modules" | head -n1)
cp "$W/root/boot/vmlinuz-$KVER" "$W/vmlinuz"; cp "$W/root/boot/initrd.img-$KVER" "$W/initrd.img"
printf 'kernel %s, cloud-init %s\n' "$KVER" "$(chroot "$W/root" dpkg-query -W -f='${Version}' cloud-init)" | tee "$OUT/versions.txt"

# --- disk geometry (MiB) ---
BOOT_MB=96
ROOT_USED=$(du -sm "$W/root" | cut -f1)
ROOT_MB=$(( ROOT_USED + ROOT_USED / 4 + 200 ))
TOTAL_MB=$(( 1 + BOOT_MB + ROOT_MB ))
RAW=$W/disk.raw
truncate -s "${TOTAL_MB}M" "$RAW"
sfdisk -q "$RAW" <<SF
label: dos
start=2048, size=$((BOOT_MB*2048)), type=e, bootable
start=$(( (1+BOOT_MB)*2048 )), type=83
SF

# --- p1: FAT + SYSLINUX ---
cat > "$W/syslinux.cfg" <<CFG
SERIAL 0 115200
DEFAULT debian
PROMPT 0
TIMEOUT 1
LABEL debian
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=cloudimg-rootfs ro console=tty0 console=ttyS0,115200n8
CFG
truncate -s "${BOOT_MB}M" "$W/boot.fat"
mkfs.vfat -F 16 -n BOOT "$W/boot.fat" >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -i "$W/boot.fat" "$W/vmlinuz" "$W/initrd.img" "$W/syslinux.cfg" ::
syslinux --install "$W/boot.fat"
# syslinux --install on a standalone FAT image writes hidden-sectors=0; patch the BPB to the partition offset (2048)
printf '\x00\x08\x00\x00' | dd of="$W/boot.fat" bs=1 seek=28 conv=notrunc status=none
dd if="$W/boot.fat" of="$RAW" bs=1M seek=1 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$RAW" bs=440 count=1 conv=notrunc status=none

# --- p2: ext4 root from the directory ---
rm -rf "$W/root/boot/"{vmlinuz,initrd.img}* 2>/dev/null || true   # kernel lives on the FAT partition
mke2fs -q -t ext4 -L cloudimg-rootfs -d "$W/root" "$W/root.ext4" "${ROOT_MB}M"
dd if="$W/root.ext4" of="$RAW" bs=1M seek=$((1+BOOT_MB)) conv=notrunc,sparse status=none

qemu-img convert -c -f raw -O qcow2 "$RAW" "$IMAGE.tmp"
mv "$IMAGE.tmp" "$IMAGE"
rm -rf "$W"
ls -l "$OUT"
echo "$IMAGE" >&3
