#!/usr/bin/env node
// Lists compiled files in dist/ whose TypeScript source no longer exists (tsc never deletes
// outputs, so a renamed or deleted source leaves its old .js behind, and npm pack ships it).
// Usage: node stale-dist.js [REPO_ROOT]   prints one path per line, exit 0 either way.
'use strict';

const fs = require('fs');
const path = require('path');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const dist = path.join(root, 'dist');

function* walk(dir) {
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) yield* walk(full);
		else yield full;
	}
}

if (fs.existsSync(dist)) {
	for (const file of walk(dist)) {
		const match = /^(.*)\.(js|d\.ts|js\.map)$/.exec(path.relative(dist, file));
		if (!match) continue;
		const source = path.join(root, `${match[1]}.ts`);
		if (!fs.existsSync(source)) process.stdout.write(`dist/${path.relative(dist, file)}\n`);
	}
}
