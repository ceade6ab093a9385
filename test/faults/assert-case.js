#!/usr/bin/env node
// One fault case's checks on `n8n execute --rawOutput` and n8n's stderr:
//   items in = items out (an answer, or an error item from Continue On Fail), each input item
//   answered once (pairedItem), no unhandled rejection or stack trace in n8n's output.
// Usage: node assert-case.js CASE RAW_OUTPUT STDERR ITEMS
// Prints one JSON line: { case, items, answered, errors, backends, errorSamples }.
'use strict';

const fs = require('fs');

const [name, outFile, errFile, itemsArg] = process.argv.slice(2);
const expected = Number(itemsArg);
const out = fs.readFileSync(outFile, 'utf8');
const err = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : '';
const problems = [];

// --rawOutput prints the run data as JSON (after any log lines)
const start = out.indexOf('{');
let run;
try {
	run = JSON.parse(out.slice(start));
} catch (e) {
	console.error(`${name}: n8n execute printed no run data JSON (${e.message}): ${out.slice(0, 500)}`);
	process.exit(1);
}
const runData = run.data ? run.data.resultData.runData : run.resultData ? run.resultData.runData : run.runData;
const agentRuns = (runData && runData['Team Agent']) || [];
const items = agentRuns.flatMap((r) => (r.data && r.data.main && r.data.main[0]) || []);
if (items.length !== expected) problems.push(`items out ${items.length}, items in ${expected}`);
const seen = new Map();
for (const item of items) {
	const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
	const index = paired && typeof paired.item === 'number' ? paired.item : undefined;
	if (index === undefined) problems.push('an item without pairedItem');
	else seen.set(index, (seen.get(index) || 0) + 1);
}
const twice = [...seen].filter(([, n]) => n > 1).map(([i]) => i);
if (twice.length) problems.push(`items answered twice: ${twice.slice(0, 10).join(', ')}`);
const answered = items.filter((i) => typeof i.json.output === 'string' && i.json.output.length > 0);
const errors = items.filter((i) => i.json.error !== undefined);
if (answered.length + errors.length !== items.length) problems.push(`${items.length - answered.length - errors.length} items are neither an answer nor an error`);
for (const pattern of [/unhandled ?(promise )?rejection/i, /\n\s+at .+\(.+:\d+:\d+\)/]) {
	const hit = (out + '\n' + err).match(pattern);
	if (hit) problems.push(`n8n printed ${JSON.stringify(hit[0].trim().slice(0, 120))}`);
}
const backends = {};
for (const i of answered) backends[i.json.backend] = (backends[i.json.backend] || 0) + 1;
const summary = { case: name, items: items.length, answered: answered.length, errors: errors.length, backends, errorSamples: [...new Set(errors.map((i) => String(i.json.error).slice(0, 160)))].slice(0, 2) };
console.log(JSON.stringify(summary));
if (problems.length) {
	console.error(`${name}: ${problems.join('; ')}`);
	process.exit(1);
}
