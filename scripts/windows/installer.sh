#!/usr/bin/env bash
# installer.sh BIN: builds the per-user installer from src-tauri/windows/
# installer.nsi with Debian's makensis (nothing downloaded), then installs it
# silently under Wine into a fresh prefix, checks the files, the Start menu
# shortcut and the uninstall entry, starts the installed CLI, and uninstalls
# silently. Inside the toolchain's chroot (scripts/test-windows.sh).
# Prints one line per check and `installer: N passed, N failed`.
set -uo pipefail
bin=$1
out=/build/installer
version=$(sed -n 's/^version = "\(.*\)"/\1/p' /src/Cargo.toml | head -1)
setup=$out/fatoora-onboard-$version-x64-setup.exe
work=$(mktemp -d /tmp/installer.XXXXXX)
export WINEPREFIX=$work/prefix XDG_RUNTIME_DIR=$work USER="محاسب الشركة"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY
trap 'wineserver -k 2>/dev/null; rm -rf "$work"' EXIT

passed=0 failed=0
check() { # NAME COMMAND...
  if "${@:2}" >"$work/check.log" 2>&1; then
    passed=$((passed + 1))
    printf '  ok      %s\n' "$1"
  else
    failed=$((failed + 1))
    printf '  FAILED  %s\n' "$1"
    tail -15 "$work/check.log" | sed 's/^/    | /'
  fi
}

mkdir -p "$out"
installed="$WINEPREFIX/drive_c/users/$USER/AppData/Local/Programs/Fatoora Onboard"
start_menu="$WINEPREFIX/drive_c/users/$USER/AppData/Roaming/Microsoft/Windows/Start Menu/Programs"

build() {
  makensis -V2 -DVERSION="$version" -DBIN="$bin" -DOUT="$setup" -DICON=/src/icons/icon.ico \
    /src/src-tauri/windows/installer.nsi && [ -s "$setup" ]
}
install() {
  wineboot -i && wine "$setup" /S &&
    for file in fatoora-onboard-app.exe WebView2Loader.dll fatoora-onboard.exe uninstall.exe; do
      [ -s "$installed/$file" ] || { echo "missing: $installed/$file"; return 1; }
    done &&
    [ -f "$start_menu/Fatoora Onboard.lnk" ] &&
    wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\FatooraOnboard' /v DisplayVersion |
    grep -F "$version"
}
installed_cli_runs() {
  wine "$installed/fatoora-onboard.exe" --version | grep -F "$version"
}
uninstall() {
  # The uninstaller copies itself to %TEMP% and returns at once: wait for
  # the folder to go, with a deadline.
  wine "$installed/uninstall.exe" /S || return 1
  local deadline=$((SECONDS + 60))
  while [ -e "$installed" ]; do
    [ $SECONDS -lt $deadline ] || { ls -la "$installed"; return 1; }
    sleep 0.2
  done
  [ ! -e "$start_menu/Fatoora Onboard.lnk" ] &&
    ! wine reg query 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\FatooraOnboard' 2>/dev/null
}

check "makensis: $(basename "$setup") (English, Arabic; per user)" build
if [ -s "$setup" ]; then
  check "silent install into %LOCALAPPDATA%\\Programs\\Fatoora Onboard, shortcut, uninstall entry" install
  check "the installed CLI runs" installed_cli_runs
  check "silent uninstall removes the files, shortcut and entry" uninstall
fi
printf 'installer: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
