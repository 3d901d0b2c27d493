#!/bin/sh
# Writes the .deb's and the .rpm's systemd units into DIR/deb and DIR/rpm,
# made from examples/systemd/ (the one copy of the units) with two changes:
# the packages install the exporter as /usr/bin/twelvelabs_exporter, not
# /usr/local/bin, and the .rpm's service reads its settings from
# /etc/sysconfig/twelvelabs_exporter instead of /etc/default/. GoReleaser's
# before hook runs it, from the repository's root:
#
#   sh deploy/packages/units.sh .build/packages
set -eu
out=$1
src=examples/systemd
unit=twelvelabs_exporter.service
fail() { echo "deploy/packages/units.sh: $*" >&2; exit 1; }
grep -q '^ExecStart=/usr/local/bin/twelvelabs_exporter ' "$src/$unit" ||
  fail "$src/$unit: ExecStart= no longer starts /usr/local/bin/twelvelabs_exporter; update this script"
grep -qx 'EnvironmentFile=-/etc/default/twelvelabs_exporter' "$src/$unit" ||
  fail "$src/$unit: no EnvironmentFile=-/etc/default/twelvelabs_exporter; update this script and the packages' environment file"
mkdir -p "$out/deb" "$out/rpm"
sed 's|^ExecStart=/usr/local/bin/|ExecStart=/usr/bin/|' "$src/$unit" >"$out/deb/$unit"
sed -e 's|^ExecStart=/usr/local/bin/|ExecStart=/usr/bin/|' \
  -e 's|^EnvironmentFile=-/etc/default/|EnvironmentFile=-/etc/sysconfig/|' "$src/$unit" >"$out/rpm/$unit"
