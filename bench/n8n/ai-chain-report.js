// One line for a Basic LLM Chain run: items/s from the chain node's own executionTime, failed items.
// Usage: node ai-chain-report.js NAME EXECUTE.out  -> prints JSON { name, items, failed, ms, itemsPerSec, error }
'use strict';
const fs = require('fs');
const { extractJson } = require('../../test/e2e/json-doc');
const [name, execFile] = process.argv.slice(2);
let result = { name };
try {
	const run = extractJson(fs.readFileSync(execFile, 'utf8'), execFile);
	const data = (run.data || run).resultData;
	const runs = data.runData['Basic LLM Chain'] || [];
	const last = runs[runs.length - 1];
	const out = (last && last.data && last.data.main && last.data.main[0]) || [];
	const failed = out.filter((i) => i.json.error).length;
	const ms = last ? last.executionTime : 0;
	result = { name, items: out.length, failed, ms, itemsPerSec: out.length ? ((out.length - failed) / ms) * 1000 : 0, error: data.error ? String(data.error.message).slice(0, 200) : (last && last.error ? String(last.error.message).slice(0, 200) : undefined) };
} catch (error) {
	result.error = `no run: ${error.message}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
