#!/usr/bin/env bash
# Install pinned front-end packages from the npm registry and copy the files
# the pages use into static/vendor (git-ignored: nothing third-party is committed).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "npm is needed to install the front-end assets: install Node.js and npm, then run make again." >&2
    exit 1
  fi
fi
npm ci --no-audit --no-fund --loglevel=error
mkdir -p static/vendor/htmx static/vendor/bootstrap static/vendor/chartjs
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
cp node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/bootstrap/
cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chartjs/
echo "Front-end assets installed in static/vendor."
