#!/usr/bin/env bash
# Copies the pinned MapLibre GL JS from npm into the viewer's embedded
# assets (cmd/sozialatlas/viewer/static/vendor/maplibre-gl). The copy is
# committed, so building and running the atlas needs no network; run this
# after changing the pinned version in cmd/sozialatlas/testdata/browser
# (whose browser tests use the same package).
set -euo pipefail
cd "$(dirname "$0")/.."
src=cmd/sozialatlas/testdata/browser
npm ci --prefix "$src" --no-audit --no-fund >/dev/null
dst=cmd/sozialatlas/viewer/static/vendor/maplibre-gl
mkdir -p "$dst"
for f in dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs dist/maplibre-gl.css LICENSE.txt; do
	cp "$src/node_modules/maplibre-gl/$f" "$dst/"
done
# the source maps are not shipped; their references would only be 404s
sed -i '/^\/\/# sourceMappingURL=/d' "$dst"/*.mjs
echo "MapLibre GL JS $(node -p "require('./$src/node_modules/maplibre-gl/package.json').version") copied to $dst"
