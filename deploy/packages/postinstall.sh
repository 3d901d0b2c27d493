#!/bin/sh
# After installing or upgrading the twelvelabs-exporter package (the .deb's
# postinst, the .rpm's %post): creates the system user twelvelabs_exporter,
# as /usr/lib/sysusers.d/twelvelabs_exporter.conf describes it, gives its
# group /etc/twelvelabs_exporter (0750: the API key file in it stays
# root-only, a web config can be made readable to the exporter), and makes a
# running systemd read the units. It neither enables nor starts the
# exporter, which needs the API key first (see /etc/default/twelvelabs_exporter
# or /etc/sysconfig/twelvelabs_exporter); an upgrade restarts a running one.
set -e
user=twelvelabs_exporter
if ! getent passwd "$user" >/dev/null && command -v systemd-sysusers >/dev/null; then
  systemd-sysusers twelvelabs_exporter.conf || true
fi
if ! getent passwd "$user" >/dev/null; then
  nologin=$(command -v nologin || echo /usr/sbin/nologin)
  useradd --system --user-group --no-create-home --home-dir / --shell "$nologin" \
    --comment "Prometheus exporter for TwelveLabs embedding tasks" "$user"
fi
# A first install: .deb "configure" without a previous version, .rpm 1.
if [ "${1:-}" = 1 ] || { [ "${1:-}" = configure ] && [ -z "${2:-}" ]; }; then
  chgrp "$user" /etc/twelvelabs_exporter
  chmod 0750 /etc/twelvelabs_exporter
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  systemctl try-restart twelvelabs_exporter.service || true
fi
exit 0
