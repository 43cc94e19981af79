"""A desktop notification server for the end-to-end tests: owns
org.freedesktop.Notifications on the session bus (the D-Bus session the app
runs in) and answers Notify as a desktop's server does, with a new
notification id, writing each call to a file as one JSON line
{"id", "app_name", "summary", "body"}. Prints "ready" once it owns the name.

    python3 notification_server.py RECORD_FILE

A stand-in rather than one of Debian's daemons: it records exactly what the
app sent and which id it answered, for the test to compare with what the app
recorded, and the test decides when there is a server at all. It starts it
(or not, to see the app without one) and stops it with SIGTERM, which
releases the name.
"""

import json
import signal
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
# The methods of the Desktop Notifications Specification 1.2 that clients call.
INTERFACE = Gio.DBusNodeInfo.new_for_xml(
    f"""
    <node>
      <interface name="{NAME}">
        <method name="Notify">
          <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
          <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
          <arg type="a{{sv}}" direction="in"/><arg type="i" direction="in"/>
          <arg type="u" direction="out"/>
        </method>
        <method name="CloseNotification"><arg type="u" direction="in"/></method>
        <method name="GetCapabilities"><arg type="as" direction="out"/></method>
        <method name="GetServerInformation">
          <arg type="s" direction="out"/><arg type="s" direction="out"/>
          <arg type="s" direction="out"/><arg type="s" direction="out"/>
        </method>
        <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
      </interface>
    </node>
    """
).interfaces[0]


def main(record_path: str) -> None:
    loop = GLib.MainLoop()
    record = open(record_path, "a", buffering=1)
    shown = 0

    def on_call(connection, sender, path, interface, method, parameters, invocation):
        nonlocal shown
        if method == "Notify":
            app_name, _replaces, _icon, summary, body, _actions, _hints, _timeout = parameters.unpack()
            shown += 1
            record.write(json.dumps({"id": shown, "app_name": app_name, "summary": summary, "body": body}, ensure_ascii=False) + "\n")
            invocation.return_value(GLib.Variant("(u)", (shown,)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("fatoora-e2e", "Fatoora Onboard tests", "1", "1.2")))
        else:
            invocation.return_value(None)

    def on_bus(connection, _name):
        connection.register_object(PATH, INTERFACE, on_call, None, None)

    def on_name(_connection, _name):
        print("ready", flush=True)

    def on_lost(_connection, _name):
        sys.exit(f"could not own {NAME}: another notification server has it")

    Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, on_bus, on_name, on_lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()


if __name__ == "__main__":
    main(sys.argv[1])
