#!/bin/sh
# Before removing the twelvelabs-exporter package (the .deb's prerm with
# "remove", the .rpm's %preun with 0; not on an upgrade): stops the exporter
# and disables its units, so that no link to them is left behind.
set -e
case "${1:-}" in
  remove | 0)
    if command -v systemctl >/dev/null; then
      if [ -d /run/systemd/system ]; then
        systemctl stop twelvelabs_exporter.socket twelvelabs_exporter.service || true
      fi
      systemctl --no-reload disable twelvelabs_exporter.socket twelvelabs_exporter.service >/dev/null 2>&1 || true
    fi
    ;;
esac
exit 0
