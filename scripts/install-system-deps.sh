#!/usr/bin/env bash
# Installs the Debian packages leaflets needs, when any is missing:
#   Pango and HarfBuzz (WeasyPrint's text layout), libharfbuzz-subset0 (fast font
#   subsetting: without it write_pdf is about 5x slower), the DejaVu fonts the styles
#   use (they cover every character in the corpus), poppler-utils (tests and
#   debugging read PDFs back; `leaflets serve` draws its page previews with pdftocairo),
#   zbar-tools (tests decode QR codes), Python with venv; for `leaflets serve`: cups-bsd
#   and cups-client (`lp` prints from memory), and for its tests cups and
#   printer-driver-cups-pdf (a virtual printer) and chromium (the browser test).
# As root it runs apt-get itself; otherwise it uses sudo, or prints the command to run.
set -euo pipefail

packages=(
  python3 python3-venv python3-pip
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fontconfig
  fonts-dejavu-core fonts-dejavu-extra
  poppler-utils zbar-tools
  cups cups-bsd cups-client printer-driver-cups-pdf chromium
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: not a Debian-like system; install Pango, HarfBuzz (with hb-subset) and the DejaVu fonts yourself" >&2
  exit 0
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-system-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-system-deps: not root and no sudo; as root, run:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
