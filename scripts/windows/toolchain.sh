#!/usr/bin/env bash
# Makes (or reuses) the Windows toolchain: a Debian sid chroot holding rustc,
# cargo and rust-src (std is built from source for x86_64-pc-windows-gnu),
# MinGW-w64, Wine and makensis. Everything comes from Debian's archive;
# crates come from the Rust registry later, through cargo.
#
# Why a chroot: bookworm's archive has neither a Rust new enough for the
# workspace (edition 2024) nor Wine 10; sid has both, and a chroot keeps the
# host's bookworm untouched. Kept in $FATOORA_WINDOWS_CACHE so a later run on
# the same machine reuses it.
set -euo pipefail

cache=${FATOORA_WINDOWS_CACHE:-/var/cache/fatoora-onboard/windows}
root=$cache/sid-root
packages=(
  rustc cargo rust-src gcc gcc-mingw-w64-x86-64 libc6-dev
  wine wine64 nsis ca-certificates openssl
)

log() { printf '==> windows toolchain: %s\n' "$*" >&2; }

# The mirror the host's own apt uses, so the chroot comes from the same place.
mirror() {
  local uri
  uri=$(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list.d/*.list 2>/dev/null | grep -m1 -E 'debian/?( |$)' | awk '{print $2}')
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}

if [ -f "$root/.ready" ]; then
  log "reusing $root"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap on the host"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

# A half-made chroot from an interrupted run is started over.
rm -rf "$root.partial"
mkdir -p "$cache"
log "debootstrap sid from $(mirror)"
debootstrap --variant=minbase sid "$root.partial" "$(mirror)" >"$cache/debootstrap.log" 2>&1 || {
  tail -20 "$cache/debootstrap.log" >&2
  exit 1
}

# sid's Release file is sometimes past its Valid-Until on the mirror between
# archive runs; its signature is still checked.
printf 'Acquire::Check-Valid-Until "false";\n' >"$root.partial/etc/apt/apt.conf.d/90valid-until"
# The host's own extra CAs (e.g. an egress proxy's), so cargo reaches the
# registry as the host does.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  mkdir -p "$root.partial/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root.partial/usr/local/share/ca-certificates/"
fi

in_root() { chroot "$root.partial" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
mount -t proc proc "$root.partial/proc"
trap 'umount "$root.partial/proc" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
log "packages: ${packages[*]}"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${packages[@]}" >"$cache/packages.log" 2>&1 || {
  tail -20 "$cache/packages.log" >&2
  exit 1
}
in_root update-ca-certificates >/dev/null
in_root apt-get clean
umount "$root.partial/proc"
trap - EXIT

in_root rustc --version >&2
touch "$root.partial/.ready"
mv "$root.partial" "$root"
log "ready: $root"
