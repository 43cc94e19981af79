#!/usr/bin/env bash
# The Linux .deb as a user gets it, as a CI smoke test: bundled by Tauri's CLI
# from the app binary scripts/test.sh already built (no second compile of the
# GTK/WebKit stack), checked with Debian's own tools, installed with dpkg,
# started under Xvfb and driven by the end-to-end home-screen tests, then
# removed again.
#
#   scripts/bundle-smoke.sh     # after: cargo build -p fatoora-app --bins --features tauri/custom-protocol
#
# Installing needs root (CI runs as root on a fresh Debian). Without root, or
# when a fatoora-onboard package is already installed (a real install this
# script must not replace or purge), the package is only unpacked into a
# throwaway folder and the unpacked binary is the one started; the script
# says which it did.
#
# No AppImage: Tauri's AppImage bundler downloads linuxdeploy and its plugins
# from GitHub while bundling, which an offline CI cannot do (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '[bundle-smoke] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

app=fatoora-onboard-app
package=fatoora-onboard
built=target/debug/$app
[ -x "$built" ] || fail "no app binary at $built: cargo build -p fatoora-app --bins --features tauri/custom-protocol"

# The bundler writes its bundle-type marker into the binary it packages, so it
# gets a copy in a target folder of its own: the binary the end-to-end tests
# run (maybe at this very moment) is neither changed nor busy.
staging=$PWD/target/bundle-smoke
rm -rf "$staging"
mkdir -p "$staging/debug"
cp "$built" "$staging/debug/$app"

started=$SECONDS
CARGO_TARGET_DIR=$staging TAURI_APP_PATH=src-tauri npx --no-install tauri bundle --debug --bundles deb --ci
debs=("$staging"/debug/bundle/deb/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one .deb, found: ${debs[*]}"
deb=${debs[0]}
log "bundled in $((SECONDS - started)) s: $deb ($(du -h "$deb" | cut -f1))"

# --- The package's metadata, read by dpkg-deb ---
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = "$package" ] || fail "Package is $(field Package), not $package"
[ "$(field Architecture)" = amd64 ] || fail "Architecture is $(field Architecture)"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ "$(field Version)" = "$version" ] || fail "Version $(field Version) is not the workspace's $version"
for needed in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3; do
  field Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$needed" || fail "Depends lacks $needed: $(field Depends)"
done
log "control: $(field Package) $(field Version) $(field Architecture); Depends: $(field Depends); Recommends: $(field Recommends)"

# --- Its files, unpacked into a throwaway root ---
unpacked=$(mktemp -d)
installed_here=
cleanup() {
  rm -rf "$unpacked"
  if [ -n "$installed_here" ]; then
    log "removing the package again (dpkg --purge $package)"
    dpkg --purge "$package" >/dev/null
  fi
}
trap cleanup EXIT
dpkg-deb -x "$deb" "$unpacked"
entries=("$unpacked"/usr/share/applications/*.desktop)
[ ${#entries[@]} -eq 1 ] && [ -f "${entries[0]}" ] || fail "expected one .desktop file in the package, found: ${entries[*]}"
entry=usr/share/applications/$(basename "${entries[0]}")

check_files() { # ROOT: the package's binary, desktop entry and icons under ROOT
  local root=$1 desktop=$1/$entry
  [ -x "$root/usr/bin/$app" ] || fail "$root/usr/bin/$app is missing or not executable"
  [ -f "$desktop" ] || fail "$desktop is missing"
  desktop-file-validate "$desktop" || fail "desktop-file-validate refused $desktop"
  grep -qx "Exec=$app" "$desktop" || fail "the desktop entry does not start $app: $(grep ^Exec= "$desktop")"
  grep -qx "Icon=$app" "$desktop" || fail "the desktop entry's icon is not $app"
  # Each icon sits in the hicolor folder of its real size (file reads the PNG header).
  local size icon count=0
  for size in 32 64 128 512; do
    icon=$root/usr/share/icons/hicolor/${size}x${size}/apps/$app.png
    [ -f "$icon" ] || fail "no ${size}x${size} icon: $icon"
    file "$icon" | grep -q "PNG image data, $size x $size" || fail "$icon is not a ${size}x${size} PNG: $(file -b "$icon")"
    count=$((count + 1))
  done
  # Every shared library the binary needs is found on this system.
  local missing
  missing=$(ldd "$root/usr/bin/$app" | grep 'not found' || true)
  [ -z "$missing" ] || fail "libraries not found for $root/usr/bin/$app: $missing"
  log "files under $root: /usr/bin/$app ($(ldd "$root/usr/bin/$app" | wc -l) libraries, all found), $(basename "$desktop") valid, $count icons of the right sizes"
}
check_files "$unpacked"

# --- Installed for real where that is allowed ---
target_binary=$unpacked/usr/bin/$app
if [ "$(id -u)" -ne 0 ]; then
  log "not root: the package is checked unpacked, not installed; the unpacked binary is started"
elif dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
  log "a $package package is already installed on this machine: left alone; the unpacked binary is started"
else
  dpkg -i "$deb" >/dev/null || fail "dpkg -i refused the package (unmet Depends?)"
  installed_here=1
  dpkg-query -W -f='${Status}' "$package" | grep -q "install ok installed" || fail "dpkg does not list $package as installed"
  check_files /
  [ "$(command -v "$app")" = "/usr/bin/$app" ] || fail "$app on PATH is $(command -v "$app" || echo nothing)"
  target_binary=/usr/bin/$app
  log "installed with dpkg -i: $(dpkg -L "$package" | grep -c '^/usr/') paths under /usr"
fi

# --- Started: three home-screen tests drive it over WebDriver under Xvfb ---
# The installed app shows its embedded UI, answers over IPC, keeps its store
# and log in its data folder. The UI's other behaviour is the e2e step's job;
# a pytest exit code 5 (nothing selected) after a rename fails here too.
smoke_tests="home_screen_shows_name_version or may_call_app_info or keeps_its_store_and_log"
log "starting $target_binary under Xvfb (tests/e2e/test_home.py -k '$smoke_tests')"
FATOORA_APP_BINARY=$target_binary xvfb-run -a -s "-screen 0 1280x800x24" ./scripts/with-secret-service.sh \
  /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/e2e/test_home.py -k "$smoke_tests"
log "OK: $(basename "$deb") bundled, checked, $([ -n "$installed_here" ] && echo "installed, " || echo "unpacked, ")started and driven"
