// Team Agent items/s from an `n8n execute --rawOutput` document (the node's own executionTime)
// against the bare client's, printed as one line.
'use strict';
const fs = require('fs');
const { extractJson } = require('../../test/e2e/json-doc');
const [name, execFile, bareFile, items, tokens, slots] = process.argv.slice(2);
const run = extractJson(fs.readFileSync(execFile, 'utf8'), execFile);
const runs = (run.data || run).resultData.runData['Team Agent'];
const agent = runs[runs.length - 1];
const out = agent.data.main[0];
const errors = out.filter((i) => i.json.error).length;
const ms = agent.executionTime;
const bare = JSON.parse(fs.readFileSync(bareFile, 'utf8'));
const perSec = (Number(items) / ms) * 1000;
console.log(
	`case ${name}: ${items} items x ${tokens} tokens on ${slots} slots: Team Agent in n8n ${perSec.toFixed(1)} items/s (${ms} ms, ${out.length} items, ${errors} errors); ` +
		`bare client with ${slots} in flight ${bare.itemsPerSec.toFixed(1)} items/s -> ${(100 * perSec / bare.itemsPerSec).toFixed(1)} %`,
);
