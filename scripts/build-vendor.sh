#!/usr/bin/env bash
# Copy the front-end packages' built files from node_modules into app/static/vendor.
set -euo pipefail
cd "$(dirname "$0")/.."
out=app/static/vendor
rm -rf "$out"
mkdir -p "$out/nhsuk-frontend" "$out/htmx" "$out/chartjs"
nhs=node_modules/nhsuk-frontend/dist/nhsuk
cp "$nhs/nhsuk-frontend.min.js" "$out/nhsuk-frontend/"
# The stylesheet points at /assets/ at the site root: point it at the copy beside it. Its
# Frutiger web font is licensed to nhs.uk sites only and served from there, so drop those
# @font-face rules: pages then use the design system's fallback fonts and never wait on it.
sed -e 's#url(/assets/#url(assets/#g' \
    -e 's#@font-face{[^}]*assets\.nhs\.uk[^}]*}##g' \
  "$nhs/nhsuk-frontend.min.css" > "$out/nhsuk-frontend/nhsuk-frontend.min.css"
cp -r "$nhs/assets" "$out/nhsuk-frontend/assets"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/chartjs/"
echo "front-end packages built into $out"
