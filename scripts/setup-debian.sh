#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Sozialatlas needs, and only those that
# are missing. Usage: scripts/setup-debian.sh [run|test|bench]
#   run    PostgreSQL with PostGIS (the private cluster uses the system's binaries)
#   test   run + GDAL (ogrinfo, ogr2ogr) and QGIS's Python bindings, the clients tests
#          check against, npm for the OpenAPI validator and the browser tests,
#          Chromium for the browser tests, and R with classInt, RColorBrewer and spdep
#          for the references of the class breaks, the area types and the spatial statistics
#   bench  run + wrk, and Chromium and npm for the viewer's load time
set -euo pipefail

what=${1:-run}

need_go() {
	if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
		echo "Go 1.26 or newer is needed: https://go.dev/doc/install (Debian's golang-go is too old)." >&2
		exit 1
	fi
}

# The PostGIS package is built per PostgreSQL major version: pick the one
# that matches the PostgreSQL the distribution installs.
pg_major() {
	local v
	v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
	if [ -z "$v" ]; then
		v=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]\+\)$/\1/p' | head -n 1)
	fi
	echo "$v"
}

missing=()
want_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }

need_go
updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		$SUDO apt-get update -qq
		updated=1
	fi
}

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi

if [ -z "$(pg_major)" ]; then
	apt_update
fi
major=$(pg_major)
if [ -z "$major" ]; then
	echo "cannot find which PostgreSQL version the package sources offer" >&2
	exit 1
fi
want_pkg "postgresql-$major"
want_pkg postgresql-contrib
want_pkg "postgresql-$major-postgis-3"
case "$what" in
test)
	want_pkg gdal-bin
	want_pkg python3-qgis
	want_pkg qgis-providers
	command -v npm >/dev/null 2>&1 || { want_pkg nodejs; want_pkg npm; }
	# the browser tests: MapLibre GL JS driven by Playwright in Debian's Chromium
	want_pkg chromium
	# the references of the class breaks and their colours: R's classInt and
	# RColorBrewer (indicators/testdata/classint, indicators/testdata/colorbrewer);
	# base R's hclust and kmeans for the area types (indicators/cluster/testdata)
	want_pkg r-base-core
	want_pkg r-cran-classint
	want_pkg r-cran-rcolorbrewer
	# the reference of the spatial statistics: R's spdep (indicators/testdata/spdep)
	want_pkg r-cran-spdep
	# systemd-analyze checks the systemd unit (data/systemd)
	want_pkg systemd
	;;
bench)
	want_pkg wrk
	# the viewer's load time: headless Chromium driven by Playwright
	command -v npm >/dev/null 2>&1 || { want_pkg nodejs; want_pkg npm; }
	want_pkg chromium
	;;
run) ;;
*)
	echo "usage: $0 [run|test|bench]" >&2
	exit 2
	;;
esac

if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
