#!/usr/bin/env bash
# chroot.sh COMMAND...: runs COMMAND inside the Windows toolchain's chroot
# (scripts/windows/toolchain.sh) with this clone at /src, /proc, /dev and
# /sys mounted, and everything unmounted again when it ends, also on
# failure. One run at a time per machine (the chroot's build folders are
# shared between runs).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FATOORA_WINDOWS_CACHE:-/var/cache/fatoora-onboard/windows}
root=$cache/sid-root

exec 9>"$cache/lock"
flock 9

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"
  done
}
trap cleanup EXIT
# A signal ends the run through the EXIT trap, so the mounts go too.
trap 'exit 130' INT TERM
bind() {
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2" && mounted+=("$root$2")
}
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
bind /sys /sys
bind /dev /dev
bind /dev/pts /dev/pts
mkdir -p "$root/dev/shm"
mount -t tmpfs shm "$root/dev/shm" && mounted+=("$root/dev/shm")
bind "$src" /src
# ZATCA's reference files (read-only), where the tests find them.
reference=${ZATCA_REFERENCE_DIR:-$src/../shared/zatca}
if [ -d "$reference" ]; then
  bind "$reference" /shared/zatca && mount -o remount,bind,ro "$root/shared/zatca"
fi

chroot "$root" /usr/bin/env -i \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  TERM=dumb FATOORA_REQUIRE_ALL="${FATOORA_REQUIRE_ALL:-0}" "$@"
