#!/usr/bin/env bash
# scripts/bench-npm-peer.sh — install Verdaccio, the peer of `artifortress bench npm`.
#
# Usage:
#   scripts/bench-npm-peer.sh [DIR]
#
# Installs verdaccio@6.8.0 with npm into DIR (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/artifortress/verdaccio-6.8.0) unless it is
# already there, and prints the path of its bin/verdaccio on standard output
# (npm's own output goes to standard error), so that
#
#   artifortress bench npm --verdaccio "$(scripts/bench-npm-peer.sh)"
#
# works. Needs Node.js (20 or later) and npm. Verdaccio 6.8.0 needs node-fetch
# 2.7.0 on Node 20, hence the override in package.json.
set -euo pipefail

version=6.8.0
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/artifortress/verdaccio-$version}
bin=$dir/node_modules/verdaccio/bin/verdaccio

for tool in node npm; do
	if ! command -v "$tool" >/dev/null; then
		echo "bench-npm-peer: $tool not found (apt-get install nodejs npm)" >&2
		exit 1
	fi
done

installed() {
	[[ -f $bin && -f $dir/node_modules/verdaccio/package.json ]] &&
		node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
			"$dir/node_modules/verdaccio/package.json" "$version"
}

if ! installed; then
	mkdir -p "$dir"
	cat >"$dir/package.json" <<EOF
{
  "name": "artifortress-bench-verdaccio",
  "private": true,
  "dependencies": { "verdaccio": "$version" },
  "overrides": { "node-fetch": "2.7.0" }
}
EOF
	(cd "$dir" && npm install --no-audit --no-fund >&2)
	if ! installed; then
		echo "bench-npm-peer: verdaccio $version is not in $dir after npm install" >&2
		exit 1
	fi
fi
echo "$bin"
