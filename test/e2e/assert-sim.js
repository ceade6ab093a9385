#!/usr/bin/env node
// Asserts through the simulator's GET /_sim/stats that n8n really sent chat requests to it.
// Usage: node assert-sim.js BEFORE.json AFTER.json MIN_CHAT_REQUESTS LABEL
//   BEFORE/AFTER: two snapshots of GET /_sim/stats (BEFORE may be "-" for none).
'use strict';

const fs = require('fs');

const [beforeFile, afterFile, minArg, label = 'sim'] = process.argv.slice(2);
const min = Number(minArg || 1);

function read(file) {
	if (!file || file === '-') return { requests: 0, requestsByEndpoint: {}, completed: 0, evalTokens: 0, promptTokens: 0 };
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (error) {
		process.stderr.write(`assert-sim: ${file} is not the JSON of /_sim/stats: ${error.message}\n`);
		process.exit(1);
	}
}

const before = read(beforeFile);
const after = read(afterFile);
const chat = (s) =>
	Object.entries(s.requestsByEndpoint || {})
		.filter(([endpoint]) => /\/api\/chat\b/.test(endpoint))
		.reduce((sum, [, n]) => sum + n, 0);
const delta = (f) => (Number(after[f]) || 0) - (Number(before[f]) || 0);

const chatDelta = chat(after) - chat(before);
const line =
	`${label}: +${chatDelta} /api/chat, +${delta('requests')} requests, +${delta('completed')} completed, ` +
	`+${delta('promptTokens')} prompt / +${delta('evalTokens')} eval tokens, ` +
	`errors500 ${after.errors500 || 0}, rejected503 ${after.rejected503 || 0}, endpoints ${JSON.stringify(after.requestsByEndpoint)}`;
console.error(`  ${line}`);

const problems = [];
if (chatDelta < min) problems.push(`expected at least ${min} new /api/chat request(s), saw ${chatDelta}`);
if (delta('completed') < min) problems.push(`expected at least ${min} newly completed request(s), saw ${delta('completed')}`);
if (!(delta('evalTokens') > 0)) problems.push('no tokens were generated');
if (problems.length > 0) {
	for (const p of problems) process.stderr.write(`  FAIL ${p}\n`);
	process.exit(1);
}
