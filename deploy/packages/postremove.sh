#!/bin/sh
# After removing or upgrading the twelvelabs-exporter package (the .deb's
# postrm, the .rpm's %postun): makes a running systemd forget the removed
# units. The user twelvelabs_exporter stays, as Debian's packages leave
# their system users: files may still belong to it.
set -e
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
