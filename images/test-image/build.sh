#!/usr/bin/env bash
# Builds skiff's test image: a tiny bootable x86_64 disk image (qcow2) that stands in for an Ubuntu cloud image.
#
#   bash images/test-image/build.sh        (or: npm run test-image)
#
# Prints the image's absolute path as the LAST line of stdout; everything else goes to stderr.
#
# * Made from Debian packages only: `apt-get download` + `dpkg-deb -x`, nothing is installed on the host
#   apart from the build tools (apt-get install when missing, needs root).
# * No loop mounts, losetup or kpartx: mtools/syslinux write the FAT boot partition, `mke2fs -d` the ext4 root.
# * Reproducible: fixed SOURCE_DATE_EPOCH for every timestamp, sorted cpio, fixed UUIDs, labels and disk id.
# * Cached under .cache/test-image/<recipe-hash>/, the hash covering every file in images/test-image/ and the
#   exact versions of the guest packages and of the host tools that shape the output; a cache hit is a no-op.
#
# Disk layout (MBR, 512 MiB virtual size, the guest grows the last partition to the disk's size at boot):
#   sector 0        SYSLINUX mbr.bin + partition table (disk id 0x5c1ff7e5)
#   partition 1     FAT16 "SKIFFBOOT", active: ldlinux.sys, syslinux.cfg, vmlinuz, initrd.img
#   partition 2     ext4 "skiff-root" (UUID below): the persistent root filesystem, LAST on the disk
# See README.md beside this file for the guest's behaviour.
#
# Environment:
#   SKIFF_TEST_IMAGE_CACHE   cache folder (default: <repo>/.cache/test-image)
#   SKIFF_TEST_IMAGE_NO_INSTALL=1   never apt-get install host tools (fail instead)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${SKIFF_TEST_IMAGE_CACHE:-$REPO/.cache/test-image}
IMAGE_NAME=skiff-testimage.qcow2

# Fixed identity of the image (reproducibility; clones of a real cloud image share these too). The FAT volume
# id is mkfs.fat --invariant's constant, 1234-ABCD.
export SOURCE_DATE_EPOCH=1735689600 # 2025-01-01T00:00:00Z, deliberately not taken from the environment
ROOT_UUID=5c1ff7e5-7e57-4a6e-8000-000000000001
ROOT_LABEL=skiff-root
BOOT_LABEL=SKIFFBOOT
DISK_ID=0x5c1ff7e5
DISK_MIB=512 # virtual size of the image: Multipass's smallest allowed --disk
# The generic kernel (XZ): the LZ4 cloud one boots ~3 s faster under TCG but has no 9p (CONFIG_NET_9P unset),
# which skiff's 9p shares need; Ubuntu's cloud images run a generic kernel too.
KERNEL_META=linux-image-amd64
GUEST_PKGS="busybox-static dropbear-bin openssh-sftp-server libc6 libcrypt1 zlib1g libtomcrypt1 libtommath1
  libgmp10 e2fsprogs libext2fs2 libcom-err2 libss2 libuuid1 libblkid1 sudo libaudit1 libaudit-common libcap-ng0
  libselinux1 libpcre2-8-0 libpam0g libpam-modules sshfs fuse3 libfuse3-3 libglib2.0-0 libffi8 libmount1"
# Host packages: the first group shapes the image (their versions are part of the recipe hash); the second is
# what booting it needs (tests, demo).
HOST_BUILD_PKGS="qemu-utils syslinux syslinux-common mtools dosfstools e2fsprogs cpio gzip"
HOST_RUN_PKGS="qemu-system-x86 genisoimage openssh-client"
# Kernel modules for the initramfs (plus their dependencies); the virtio/PCI ones are loaded by modalias.
MODULES="virtio_pci virtio_blk virtio_scsi virtio_net virtio_rng virtio_console virtio_balloon ata_piix sd_mod
  sr_mod isofs vfat nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii button evdev fuse virtiofs 9p 9pnet_virtio
  crc32c_generic ext4"
# ext4 (and the crc32c its checksums ask for by name) is built into the cloud kernel, a module here.
# Shared folders: virtiofs (and fuse for sshfs) and 9p are loaded up front, so a hot-plugged virtio-fs device
# binds at once and `mount -t virtiofs|9p` never depends on busybox modprobe resolving an fs alias.
ALWAYS_LOAD="crc32c_generic ext4 isofs vfat nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii sd_mod sr_mod button evdev
  fuse virtiofs 9p 9pnet_virtio"

T0=$(date +%s.%N)
log() { echo "[test-image] $*" >&2; }
die() { echo "[test-image] error: $*" >&2; exit 1; }
export LC_ALL=C TZ=UTC MTOOLS_SKIP_CHECK=1 DEBIAN_FRONTEND=noninteractive
umask 022

# ------------------------------------------------------------------------------------------ host tools
missing=()
for p in $HOST_BUILD_PKGS $HOST_RUN_PKGS; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
apt_updated=0
if [ ${#missing[@]} -gt 0 ]; then
  [ "${SKIFF_TEST_IMAGE_NO_INSTALL:-0}" != 1 ] || die "missing host packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || die "missing host packages: ${missing[*]} (run as root, or apt-get install them)"
  log "installing host tools: ${missing[*]}"
  apt-get update -qq >&2 && apt_updated=1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# ------------------------------------------------------------------------------------------ exact versions
resolve_versions() { # prints "pkg version" for the kernel ABI package, then every guest package (apt candidates)
  local kpkg
  kpkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
  [ -n "$kpkg" ] || return 1
  # shellcheck disable=SC2086
  apt-cache policy "$kpkg" $GUEST_PKGS 2>/dev/null | awk -v want="$kpkg ${GUEST_PKGS//$'\n'/ }" '
    /^[^ ]/ { p = $1; sub(/:$/, "", p) }
    /^  Candidate:/ && $2 != "(none)" { v[p] = $2 }
    END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (w[i] in v) print w[i], v[w[i]] }'
}
if ! VERSIONS=$(resolve_versions) || [ "$(wc -l <<<"$VERSIONS")" -ne $(($(wc -w <<<"$GUEST_PKGS") + 1)) ]; then
  [ $apt_updated = 1 ] || { log "apt lists lack the guest packages: apt-get update"; apt-get update -qq >&2; }
  VERSIONS=$(resolve_versions) || true
  [ "$(wc -l <<<"$VERSIONS")" -eq $(($(wc -w <<<"$GUEST_PKGS") + 1)) ] ||
    die "cannot resolve every guest package with apt-cache (found: ${VERSIONS//$'\n'/, })"
fi
KPKG=$(head -1 <<<"$VERSIONS" | cut -d' ' -f1)
HOST_VERSIONS=$(for p in $HOST_BUILD_PKGS; do echo "$p $(dpkg-query -W -f='${Version}' "$p")"; done)

# ------------------------------------------------------------------------------------------ recipe hash
recipe_manifest() {
  (cd "$HERE" && find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
    printf '%s %s %s\n' "$f" "$([ -x "$f" ] && echo x || echo -)" "$(sha256sum <"$f" | cut -d' ' -f1)"
  done)
  echo "guest:"; echo "$VERSIONS"
  echo "host:"; echo "$HOST_VERSIONS"
}
HASH=$(recipe_manifest | sha256sum | cut -c1-16)
OUT=$CACHE/$HASH
cached() { # true if the cached image is there and intact (someone booting the base image directly changes it)
  local want
  [ -f "$OUT/$IMAGE_NAME" ] && [ -f "$OUT/manifest.txt" ] || return 1
  want=$(awk '$1 == "sha256" {print $2}' "$OUT/manifest.txt")
  [ "$(sha256sum <"$OUT/$IMAGE_NAME" | cut -d' ' -f1)" = "$want" ] && return 0
  log "cached image $OUT/$IMAGE_NAME was modified (boot it through an overlay): rebuilding"
  return 1
}
if cached; then
  log "cached: $OUT/$IMAGE_NAME"
  echo "$OUT/$IMAGE_NAME"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # one build at a time; whoever waited finds the result below
if cached; then
  log "cached (built meanwhile): $OUT/$IMAGE_NAME"
  echo "$OUT/$IMAGE_NAME"
  exit 0
fi
log "building recipe $HASH (kernel $KPKG)"

W=$CACHE/.build-$HASH
rm -rf "$W"
mkdir -p "$W" "$CACHE/debs"
trap 'rm -rf "$W"' EXIT
X=$W/x       # unpacked packages
K=$W/kernel  # unpacked kernel package
R=$W/rootfs  # root filesystem tree
I=$W/initrd  # initramfs tree

# ------------------------------------------------------------------------------------------ 1. guest packages
need=()
while read -r p v; do
  f=$CACHE/debs/${p}_${v//:/%3a}_amd64.deb
  [ -f "$f" ] || [ -f "${f%_amd64.deb}_all.deb" ] || need+=("$p=$v")
done <<<"$VERSIONS"
if [ ${#need[@]} -gt 0 ]; then
  log "downloading ${#need[@]} packages"
  (cd "$CACHE/debs" && apt-get download -q "${need[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
fi
debs=()
while read -r p v; do
  f=$CACHE/debs/${p}_${v//:/%3a}_amd64.deb
  [ -f "$f" ] || f=${f%_amd64.deb}_all.deb
  if [ ! -f "$f" ]; then
    # stale apt lists name versions the archive no longer has: update them once and start over
    [ "${SKIFF_TEST_IMAGE_RETRY:-0}" = 0 ] || die "download of $p=$v failed"
    log "download of $p=$v failed: apt-get update, then again"
    apt-get update -qq >&2
    rm -rf "$W"
    trap - EXIT
    SKIFF_TEST_IMAGE_RETRY=1 exec bash "$0" "$@"
  fi
  debs+=("$f")
done <<<"$VERSIONS"
# keep only the debs of this recipe
for f in "$CACHE"/debs/*.deb; do
  case " ${debs[*]} " in *" $f "*) ;; *) rm -f "$f" ;; esac
done
mkdir -p "$X" "$K"
dpkg-deb -x "${debs[0]}" "$K" &
kernel_unpack=$!
for f in "${debs[@]:1}"; do dpkg-deb -x "$f" "$X"; done
wait $kernel_unpack || die "cannot unpack ${debs[0]}"
KVER=$(ls "$K/lib/modules")
[ -f "$K/boot/vmlinuz-$KVER" ] || die "no kernel in ${debs[0]}"

# ------------------------------------------------------------------------------------------ 2. root tree
# Layout: merged /usr, and sbin merged into bin (/bin, /sbin, /usr/sbin -> usr/bin): dropbear gives non-root
# sessions PATH=/usr/local/bin:/usr/bin:/bin, so every command has to be there.
mkdir -p "$R"/usr/{bin,lib/x86_64-linux-gnu,lib64,libexec,share} "$R"/{etc,proc,sys,dev,run,tmp,root,home,mnt,srv,opt}
mkdir -p "$R"/var/{lib/cloud,log,tmp,cache,spool} "$R"/boot "$R"/media
ln -s usr/bin "$R/bin"
ln -s usr/bin "$R/sbin"
ln -s bin "$R/usr/sbin"
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"
ln -s ../run "$R/var/run"
ln -s ../run/lock "$R/var/lock"

# copy_file SRC_REL: a file of the unpacked packages into the tree, at its merged-/usr path
merged() { # prints the merged-/usr path of a package path
  local p=${1#/}
  case "$p" in
    bin/* | sbin/* | usr/sbin/*) echo "usr/bin/${p##*/}" ;;
    lib/*) echo "usr/$p" ;;
    lib64/*) echo "usr/$p" ;;
    *) echo "$p" ;;
  esac
}
install_from() { # install_from BASE REL [MODE]: copy BASE/REL (dereferenced) to its merged path in the tree
  local dst
  dst=$R/$(merged "$2")
  mkdir -p "$(dirname "$dst")"
  cp -L "$1/$2" "$dst"
  [ -z "${3:-}" ] || chmod "$3" "$dst"
}
ROOT_FILES="bin/busybox usr/sbin/dropbear usr/bin/dropbearkey usr/bin/dropbearconvert usr/bin/dbclient usr/lib/openssh/sftp-server
  sbin/resize2fs sbin/e2fsck usr/bin/sudo usr/libexec/sudo/sudoers.so usr/libexec/sudo/sesh
  usr/libexec/sudo/sudo_noexec.so usr/libexec/sudo/sudo_intercept.so usr/libexec/sudo/group_file.so
  usr/libexec/sudo/system_group.so lib/x86_64-linux-gnu/security/pam_permit.so
  lib/x86_64-linux-gnu/security/pam_deny.so usr/bin/sshfs bin/fusermount3"
for f in $ROOT_FILES; do install_from "$X" "$f"; done
chmod 4755 "$R/usr/bin/sudo"
ln -s openssh/sftp-server "$R/usr/lib/sftp-server" # the path compiled into Debian's dropbear
install_from "$X" lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/usr/lib64/ld-linux-x86-64.so.2"

# shared libraries: the closure of every ELF file in the tree, resolved inside the unpacked packages only
LDSO=$X/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
LIBPATH=$X/lib/x86_64-linux-gnu:$X/usr/lib/x86_64-linux-gnu:$X/usr/libexec/sudo
find "$R" -type f \( -perm -u+x -o -name '*.so*' \) | LC_ALL=C sort | while read -r elf; do
  head -c4 "$elf" | grep -q ELF || continue
  [ "$elf" = "$R/usr/bin/busybox" ] && continue # static
  "$LDSO" --library-path "$LIBPATH" --list "$elf" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | LC_ALL=C sort -u | while read -r lib; do
  case "$lib" in "$X"/*) ;; *) die "library $lib is not from the unpacked packages" ;; esac
  rel=${lib#"$X"/}
  [ -e "$R/$(merged "$rel")" ] || install_from "$X" "$rel"
done

# busybox applets, where no real program of the same name exists
"$R/usr/bin/busybox" --list | while read -r a; do
  [ -e "$R/usr/bin/$a" ] || [ -L "$R/usr/bin/$a" ] || ln -s busybox "$R/usr/bin/$a"
done

# sudo's data files, Debian's own sudoers
install_from "$X" etc/sudoers 0440
mkdir -p "$R/etc/sudoers.d"
chmod 0750 "$R/etc/sudoers.d"

# ------------------------------------------------------------------------------------------ 3. kernel modules
MODS=$K/lib/modules/$KVER
"$R/usr/bin/busybox" depmod -b "$K" "$KVER" # the deb ships no modules.dep (its postinst makes it)
modfiles=$W/modfiles
: >"$modfiles"
add_mod() { # add_mod NAME: the module file and the files of its dependencies
  local line dep
  line=$(awk -v n="${1//-/_}" -F: '{f=$1; sub(/.*\//,"",f); sub(/\.ko.*$/,"",f); gsub(/-/,"_",f); if (f==n) {print; exit}}' \
    "$MODS/modules.dep")
  if [ -z "$line" ]; then
    grep -q "/${1}\.ko" "$MODS/modules.builtin" || die "module $1 is not in $KPKG"
    return 0
  fi
  grep -qxF "${line%%:*}" "$modfiles" && return 0
  for dep in ${line#*:}; do add_mod "$(basename "$dep" .ko)"; done
  echo "${line%%:*}" >>"$modfiles"
}
for m in $MODULES; do add_mod "$m"; done
copy_modules() { # copy_modules DEST_ROOT (lib/modules/KVER is created below it)
  local f
  while read -r f; do
    f=${f#/}
    f=${f#lib/modules/"$KVER"/}
    mkdir -p "$1/lib/modules/$KVER/$(dirname "$f")"
    cp "$MODS/$f" "$1/lib/modules/$KVER/$f"
  done <"$modfiles"
  cp "$MODS/modules.builtin" "$MODS/modules.order" "$1/lib/modules/$KVER/"
  "$R/usr/bin/busybox" depmod -b "$1" "$KVER"
}
copy_modules "$R/usr"
printf '%s\n' $ALWAYS_LOAD >"$R/etc/modules"

# ------------------------------------------------------------------------------------------ 4. our own files
# rootfs/ mirrors the guest's paths; executables keep their x bit, everything else is 0644, dirs 0755.
(cd "$HERE/rootfs" && find . -type f | LC_ALL=C sort) | while read -r f; do
  mkdir -p "$R/$(dirname "$f")"
  cp "$HERE/rootfs/$f" "$R/$f"
  if [ -x "$HERE/rootfs/$f" ]; then chmod 0755 "$R/$f"; else chmod 0644 "$R/$f"; fi
done
printf '%s\n' "UUID=$ROOT_UUID / ext4 defaults,errors=remount-ro 0 1" >"$R/etc/fstab"
ln -s ../proc/self/mounts "$R/etc/mtab"
mkdir -p "$R/etc/dropbear"
echo "skiff-testimage $HASH $KPKG" >"$R/etc/skiff-testimage-build"
chmod 0700 "$R/root"
chmod 1777 "$R/tmp" "$R/var/tmp"

# ------------------------------------------------------------------------------------------ 5. initramfs
mkdir -p "$I"/{bin,dev,proc,sys,run,root,etc}
cp "$X/bin/busybox" "$I/bin/busybox"
for a in $("$I/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$I/bin/$a"; done
ln -s bin "$I/sbin"
copy_modules "$I"
cp "$R/etc/modules" "$I/etc/modules"
cp "$HERE/initramfs/init" "$I/init"
chmod 0755 "$I/init"

normalize_tree() { # fixed timestamps, no group/other write bits from the umask
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}
normalize_tree "$I"
(cd "$I" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) |
  gzip -n -9 >"$W/initrd.img"

# ------------------------------------------------------------------------------------------ 6. ext4 root
normalize_tree "$R"
touch -d "@$SOURCE_DATE_EPOCH" "$W/initrd.img"
cp "$K/boot/vmlinuz-$KVER" "$W/vmlinuz"
touch -d "@$SOURCE_DATE_EPOCH" "$W/vmlinuz"

kib() { du -k --apparent-size "$1" | cut -f1; }
BOOT_MIB=$(((($(kib "$W/vmlinuz") + $(kib "$W/initrd.img")) / 1024) + 4))
BOOT_START=2048 # sectors: 1 MiB
BOOT_SECTORS=$((BOOT_MIB * 2048))
ROOT_START=$((BOOT_START + BOOT_SECTORS))
TOTAL_SECTORS=$((DISK_MIB * 2048))
ROOT_SECTORS=$((TOTAL_SECTORS - ROOT_START))

export E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH
export MKE2FS_CONFIG=$HERE/mke2fs.conf
truncate -s $((ROOT_SECTORS * 512)) "$W/root.img"
mkfs.ext4 -q -F -t ext4 -L "$ROOT_LABEL" -U "$ROOT_UUID" -M / \
  -E "hash_seed=$ROOT_UUID,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
  -d "$R" "$W/root.img"
# mke2fs copies each file's ctime and atime as found on the build host: pin them like mtime
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | while read -r p; do
  printf 'sif "%s" ctime @%s\nsif "%s" atime @%s\n' "${p#.}" "$SOURCE_DATE_EPOCH" "${p#.}" "$SOURCE_DATE_EPOCH"
done) >"$W/debugfs.cmds"
printf 'sif / ctime @%s\nsif / atime @%s\n' "$SOURCE_DATE_EPOCH" "$SOURCE_DATE_EPOCH" >>"$W/debugfs.cmds"
debugfs -w -f "$W/debugfs.cmds" "$W/root.img" >"$W/debugfs.log" 2>&1 || die "debugfs failed: $(tail -3 "$W/debugfs.log")"
if grep -q -i -E 'not found|error|invalid' "$W/debugfs.log"; then die "debugfs: $(grep -i -m3 -E 'not found|error|invalid' "$W/debugfs.log")"; fi
e2fsck -fn "$W/root.img" >"$W/e2fsck.log" 2>&1 || die "e2fsck of the root filesystem failed: $(cat "$W/e2fsck.log")"

# ------------------------------------------------------------------------------------------ 7. the disk
cat >"$W/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT skiff
PROMPT 0
TIMEOUT 1
LABEL skiff
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND root=UUID=$ROOT_UUID console=tty0 console=ttyS0,115200n8 quiet loglevel=3 panic=10
EOF
touch -d "@$SOURCE_DATE_EPOCH" "$W/syslinux.cfg"
DISK=$W/disk.raw
truncate -s $((TOTAL_SECTORS * 512)) "$DISK"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$DISK" bs=440 count=1 conv=notrunc status=none
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
# shellcheck disable=SC2059
{
  printf "$(le32 $((DISK_ID)))\\000\\000"
  # entry 1: active, FAT16 LBA (0x0e); entry 2: Linux (0x83). CHS fields "beyond 8 GiB" (LBA only).
  printf "\\200\\376\\377\\377\\016\\376\\377\\377$(le32 $BOOT_START)$(le32 $BOOT_SECTORS)"
  printf "\\000\\376\\377\\377\\203\\376\\377\\377$(le32 $ROOT_START)$(le32 $ROOT_SECTORS)"
  printf '\000%.0s' $(seq 32)
  printf '\125\252'
} | dd of="$DISK" bs=1 seek=440 conv=notrunc status=none
mkfs.fat -F 16 -n "$BOOT_LABEL" --invariant --offset $BOOT_START -h $BOOT_START "$DISK" \
  $((BOOT_SECTORS / 2)) >"$W/mkfs.fat.log" 2>&1 || die "mkfs.fat failed: $(cat "$W/mkfs.fat.log")"
mcopy -m -i "$DISK@@$((BOOT_START * 512))" "$W/vmlinuz" "$W/initrd.img" "$W/syslinux.cfg" ::
syslinux --install --offset $((BOOT_START * 512)) "$DISK"
dd if="$W/root.img" of="$DISK" bs=1M seek=$((ROOT_START / 2048)) conv=notrunc,sparse status=none
qemu-img convert -q -f raw -O qcow2 -o compat=1.1,cluster_size=65536 "$DISK" "$W/$IMAGE_NAME"

# ------------------------------------------------------------------------------------------ 8. publish
mkdir -p "$W/out"
mv "$W/$IMAGE_NAME" "$W/out/$IMAGE_NAME"
{
  echo "recipe $HASH"
  recipe_manifest
  echo "image:"
  echo "sha256 $(sha256sum "$W/out/$IMAGE_NAME" | cut -d' ' -f1)"
  echo "raw-sha256 $(sha256sum "$DISK" | cut -d' ' -f1)"
  echo "kernel $KVER"
  echo "partitions boot=${BOOT_START}+${BOOT_SECTORS} root=${ROOT_START}+${ROOT_SECTORS} (sectors)"
} >"$W/out/manifest.txt"
chmod 0444 "$W/out/$IMAGE_NAME"
rm -rf "$OUT"
mv "$W/out" "$OUT"
# keep the three most recent recipes
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' -printf '%T@ %p\n' |
  sort -rn | tail -n +4 | while read -r _ old; do rm -rf "$old"; done
log "built $OUT/$IMAGE_NAME ($(du -k "$OUT/$IMAGE_NAME" | cut -f1) KiB on disk, ${DISK_MIB} MiB virtual) in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $T0}") s"
echo "$OUT/$IMAGE_NAME"
