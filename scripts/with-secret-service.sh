#!/bin/sh
# Runs "$@" inside a private D-Bus session with a freshly unlocked
# gnome-keyring, so tests reach the real Secret Service (as a desktop user's
# keyring would) without touching the caller's own keyring.
#   scripts/with-secret-service.sh cargo test -p fatoora-base
# Needs the Debian packages dbus (dbus-run-session) and gnome-keyring.
set -eu

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool not found; install the Debian packages dbus and gnome-keyring" >&2
        exit 1
    fi
done

# A throwaway keyring folder: the daemon creates its login keyring here.
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT INT TERM

# An empty unlock password leaves the collection locked (NoStorageAccess),
# so the throwaway keyring gets a throwaway password.
# Its control socket goes there too (not into ~/.cache), but the command
# itself keeps the caller's XDG_RUNTIME_DIR.
mkdir -m 700 "$keyring_home/run"
XDG_DATA_HOME="$keyring_home" KEYRING_RUNTIME_DIR="$keyring_home/run" dbus-run-session -- sh -c '
    eval "$(printf "%s" "fatoora-onboard-test-keyring" |
        XDG_RUNTIME_DIR="$KEYRING_RUNTIME_DIR" gnome-keyring-daemon --unlock --components=secrets)"
    export GNOME_KEYRING_CONTROL
    unset KEYRING_RUNTIME_DIR
    exec "$@"
' with-secret-service "$@"
