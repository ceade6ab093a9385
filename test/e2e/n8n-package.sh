# shellcheck shell=bash
# The package installed into a throwaway n8n, and n8n's environment; shared by the e2e test
# (run.sh) and the editor test (test/ui/run.sh). Needs lib.sh and install-n8n.sh (ensure_n8n) sourced,
# and REPO, WORK, E2E_DIR set.

# install_package_into_n8n: npm run build (unless N8N_E2E_SKIP_BUILD=1), npm pack, and install the
# tarball into $WORK/user the way n8n installs a community package. Sets and exports N8N_USER_FOLDER;
# sets PKG_NAME, PKG_DIR, TARBALL; writes $WORK/expected-types.json.
install_package_into_n8n() {
	[[ -x $REPO/node_modules/.bin/tsc ]] || die "the repository's dev dependencies are missing: run npm ci in $REPO first"
	if [[ ${N8N_E2E_SKIP_BUILD:-} == 1 ]]; then
		log "N8N_E2E_SKIP_BUILD=1: packing the existing dist/"
	else
		(cd "$REPO" && npm run build) >"$WORK/build.log" 2>&1 || die "npm run build failed" "$WORK/build.log"
	fi
	node "$E2E_DIR/stale-dist.js" "$REPO" >"$WORK/stale-dist.txt"
	if [[ -s $WORK/stale-dist.txt ]]; then
		log "WARNING: dist/ holds $(wc -l <"$WORK/stale-dist.txt") compiled file(s) without a source (left by an earlier build; npm pack ships them): $(head -n 5 "$WORK/stale-dist.txt" | tr '\n' ' ')"
	fi
	node "$E2E_DIR/expected-types.js" "$REPO" >"$WORK/expected-types.json" 2>"$WORK/expected-types.err" ||
		die "could not read the node types the package declares" "$WORK/expected-types.err"
	PKG_NAME=$(node -p 'require(process.argv[1]).package' "$WORK/expected-types.json")
	log "package declares nodes: $(node -p 'require(process.argv[1]).nodes.join(", ")' "$WORK/expected-types.json"); credentials: $(node -p 'require(process.argv[1]).credentials.join(", ")' "$WORK/expected-types.json")"

	# prepack would rebuild: the build just ran, so pack without scripts.
	(cd "$REPO" && npm pack --json --ignore-scripts --pack-destination "$WORK") >"$WORK/pack.json" 2>"$WORK/pack.log" ||
		die "npm pack failed" "$WORK/pack.log"
	TARBALL="$WORK/$(node -p 'require(process.argv[1])[0].filename' "$WORK/pack.json")"
	[[ -f $TARBALL ]] || die "npm pack did not write $TARBALL"
	log "packed $(basename "$TARBALL") ($(node -p 'const p = require(process.argv[1])[0]; `${p.entryCount} files, ${(p.size / 1024).toFixed(0)} KiB`' "$WORK/pack.json"))"
	tar -tzf "$TARBALL" >"$WORK/tarball-files.txt" || die "cannot list $TARBALL"
	grep -q '^package/dist/' "$WORK/tarball-files.txt" || die "the tarball holds no dist/ (see $WORK/tarball-files.txt)"

	# n8n settings inherited from the caller's environment (DB_TYPE=postgresdb, N8N_PORT, ...) must not leak in.
	while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$)' | grep -v '^N8N_E2E_' || true)
	# What n8n 2.41 does when it installs a community package (CommunityPackagesService.downloadPackage):
	# unpack the tarball into <N8N_USER_FOLDER>/.n8n/nodes/node_modules/<name>, drop dev/peer/optional
	# dependencies from its package.json (n8n-workflow then resolves to n8n's own copy through the
	# NODE_PATH n8n sets), `npm install` its dependencies inside that directory, and record it in
	# .n8n/nodes/package.json. n8n then finds it by scanning .n8n/nodes/node_modules for n8n-nodes-*.
	export N8N_USER_FOLDER="$WORK/user"
	NODES_DIR="$N8N_USER_FOLDER/.n8n/nodes"
	PKG_DIR="$NODES_DIR/node_modules/$PKG_NAME"
	mkdir -p "$PKG_DIR"
	tar -xzf "$TARBALL" -C "$PKG_DIR" --strip-components=1
	node -e '
		const fs = require("fs");
		const [pkgDir, nodesDir] = process.argv.slice(1);
		const file = `${pkgDir}/package.json`;
		const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(fs.readFileSync(file, "utf8"));
		fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
		fs.writeFileSync(`${nodesDir}/package.json`,
			JSON.stringify({ name: "installed-nodes", private: true, dependencies: { [pkg.name]: pkg.version } }, null, 2));
	' "$PKG_DIR" "$NODES_DIR"
	(cd "$PKG_DIR" && npm install --audit=false --fund=false --bin-links=false --install-strategy=shallow \
		--ignore-scripts=true --package-lock=false --prefer-offline) >"$WORK/package-install.log" 2>&1 ||
		die "npm install of the package's dependencies in $PKG_DIR failed" "$WORK/package-install.log"
	log "installed into $PKG_DIR ($(find "$PKG_DIR/node_modules" -maxdepth 2 -name package.json 2>/dev/null | wc -l) dependencies)"
}

# export_n8n_env: n8n's environment: loopback only, nothing that phones home, a throwaway SQLite DB,
# free ports (N8N_PORT, N8N_RUNNERS_BROKER_PORT). Sets E2E_N8N_PATH (Node 24 first on PATH).
export_n8n_env() {
	N8N_ENCRYPTION_KEY=$(node -p 'require("crypto").randomBytes(24).toString("hex")')
	N8N_PORT=$(free_port)
	N8N_RUNNERS_BROKER_PORT=$(free_port)
	export N8N_ENCRYPTION_KEY N8N_PORT N8N_RUNNERS_BROKER_PORT
	export DB_TYPE=sqlite
	export N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1 N8N_PROTOCOL=http
	export N8N_WEBHOOK_URL="http://127.0.0.1:$N8N_PORT/"
	# task runners (n8n 2.x always uses them; internal mode = a child process of each n8n command)
	export N8N_RUNNERS_BROKER_LISTEN_ADDRESS=127.0.0.1
	export N8N_SECURE_COOKIE=false
	export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED=false
	export N8N_TEMPLATES_ENABLED=false N8N_PERSONALIZATION_ENABLED=false N8N_DYNAMIC_BANNERS_ENABLED=false N8N_HIRING_BANNER_ENABLED=false
	export N8N_LICENSE_AUTO_RENEW_ENABLED=false
	export N8N_COMMUNITY_PACKAGES_ENABLED=true N8N_UNVERIFIED_PACKAGES_ENABLED=true N8N_REINSTALL_MISSING_PACKAGES=false
	# mcp-registry refreshes a catalogue from api.n8n.io at startup; the test needs none of these modules.
	export N8N_DISABLED_MODULES=${N8N_E2E_DISABLED_MODULES-mcp-registry}
	export N8N_GRACEFUL_SHUTDOWN_TIMEOUT=10
	export N8N_LOG_LEVEL=${N8N_E2E_LOG_LEVEL:-info} N8N_LOG_OUTPUT=console
	export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=true
	# A CI proxy must not capture loopback traffic (n8n installs a global proxy agent when one is set).
	export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

	E2E_N8N_PATH="$(dirname "$E2E_NODE24"):$PATH"
}

# n8n_cmd NAME ARGS...: run an n8n CLI command (Node 24) to completion (uses WORK, E2E_PIDS, PKG_NAME,
# N8N_E2E_TIMEOUT and export_n8n_env's E2E_N8N_PATH); stdout in $WORK/NAME.out,
# stderr in $WORK/NAME.err. Fails the test when it exits non-zero or runs past N8N_E2E_TIMEOUT.
n8n_cmd() {
	local name=$1 pid rc deadline
	shift
	setsid env PATH="$E2E_N8N_PATH" "$E2E_NODE24" "$E2E_N8N_CLI" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
	pid=$!
	E2E_PIDS+=("$pid")
	deadline=$(($(date +%s) + N8N_E2E_TIMEOUT))
	while kill -0 "$pid" 2>/dev/null && (($(date +%s) < deadline)); do sleep 0.2; done
	if kill -0 "$pid" 2>/dev/null; then
		stop_bg "$pid"
		die "n8n $* did not finish within ${N8N_E2E_TIMEOUT}s" "$WORK/$name.out" "$WORK/$name.err"
	fi
	rc=0
	wait "$pid" || rc=$?
	# the command's task runner and other children go with it
	kill -KILL -- "-$pid" 2>/dev/null || true
	((rc == 0)) || die "n8n $* exited with $rc" "$WORK/$name.out" "$WORK/$name.err"
	if grep -qiE 'Failed to load package|Skipping package|is already loaded' "$WORK/$name.out" "$WORK/$name.err"; then
		die "n8n could not load $PKG_NAME" "$WORK/$name.out" "$WORK/$name.err"
	fi
}
