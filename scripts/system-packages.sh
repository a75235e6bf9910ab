#!/usr/bin/env bash
# Make sure the system packages Credwatch needs are present.
#   run:  tesseract-ocr with English and orientation data (OCR of scans, photos)
#   test: the same, plus Debian's chromium for the browser tests
# Installs with apt-get when run as root; otherwise says what to install.
set -euo pipefail
mode="${1:-run}"
missing=()
if ! command -v tesseract >/dev/null 2>&1; then
  missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
else
  langs="$(tesseract --list-langs 2>/dev/null || true)"
  grep -qx eng <<<"$langs" || missing+=(tesseract-ocr-eng)
  grep -qx osd <<<"$langs" || missing+=(tesseract-ocr-osd)
fi
if [ "$mode" = test ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Credwatch needs these system packages: ${missing[*]}" >&2
  echo "Install them (e.g. sudo apt-get install ${missing[*]}) and run make again." >&2
  exit 1
fi
