#!/usr/bin/env node
// Asserts that a streaming webhook really streamed the Team Agent's tokens (stream-client.js output).
//
// Usage: node assert-stream.js STREAM.json NODE_NAME MIN_ITEM_CHUNKS MIN_LEAD_MS
//   HTTP 200; a `begin` and an `end` chunk of NODE_NAME; at least MIN_ITEM_CHUNKS `item` chunks of
//   it whose contents joined are non-empty text; no `error` chunk; begin before the first item,
//   end after the last; and the first item arrived at least MIN_LEAD_MS before both the last item
//   and the end of the response (the client got tokens while the model was still generating).
// Prints the observed timing on stderr and a one-line JSON summary on stdout.
'use strict';

const fs = require('fs');

const [file, nodeName, minItemsArg = '5', minLeadArg = '1000'] = process.argv.slice(2);
const minItems = Number(minItemsArg);
const minLead = Number(minLeadArg);

function fail(message) {
	process.stderr.write(`assert-stream: ${message}\n`);
	process.exit(1);
}
if (!file || !nodeName) fail('usage: assert-stream.js STREAM.json NODE_NAME MIN_ITEM_CHUNKS MIN_LEAD_MS');

let stream;
try {
	stream = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (error) {
	fail(`${file} is not the output of stream-client.js: ${error.message}`);
}

const problems = [];
if (stream.error) problems.push(`the client reported: ${stream.error}`);
if (stream.status !== 200) problems.push(`HTTP status ${stream.status}, expected 200`);

const raw = stream.lines.filter((l) => !l.json);
if (raw.length) problems.push(`${raw.length} line(s) are not JSON, e.g. ${JSON.stringify(raw[0].raw.slice(0, 200))}`);
const chunks = stream.lines.filter((l) => l.json && l.json.type !== 'keepalive');
const ofNode = chunks.filter((l) => l.json.metadata && l.json.metadata.nodeName === nodeName);
const others = chunks.filter((l) => !(l.json.metadata && l.json.metadata.nodeName === nodeName));
const byType = (type) => ofNode.filter((l) => l.json.type === type);
const begins = byType('begin');
const items = byType('item');
const ends = byType('end');
const errors = chunks.filter((l) => l.json.type === 'error');

if (begins.length === 0) problems.push(`no "begin" chunk from "${nodeName}"`);
if (ends.length === 0) problems.push(`no "end" chunk from "${nodeName}"`);
if (errors.length) problems.push(`"error" chunk(s): ${errors.map((l) => JSON.stringify(l.json).slice(0, 300)).join('; ')}`);
if (items.length < minItems) problems.push(`${items.length} "item" chunk(s) from "${nodeName}", expected at least ${minItems}`);
if (others.length) problems.push(`${others.length} chunk(s) not from "${nodeName}", e.g. ${JSON.stringify(others[0].json).slice(0, 300)}`);

const text = items.map((l) => (typeof l.json.content === 'string' ? l.json.content : '')).join('');
if (text.trim() === '') problems.push('the "item" chunks hold no text');
else if (!/[A-Za-z]{2,}/.test(text)) problems.push(`the "item" chunks do not look like text: ${JSON.stringify(text.slice(0, 200))}`);

const indexOf = (l) => stream.lines.indexOf(l);
if (begins.length && items.length && indexOf(begins[0]) > indexOf(items[0])) problems.push('the first "item" came before "begin"');
if (ends.length && items.length && indexOf(ends[ends.length - 1]) < indexOf(items[items.length - 1])) problems.push('the last "item" came after "end"');

const first = items.length ? items[0].ms : NaN;
const last = items.length ? items[items.length - 1].ms : NaN;
const end = stream.endMs;
const lastChunk = stream.lines.length ? stream.lines[stream.lines.length - 1].ms : NaN;
const itemEvents = new Set(items.map((l) => l.ms)).size;
if (items.length) {
	if (!(last - first >= minLead)) problems.push(`the first "item" arrived ${(last - first).toFixed(0)} ms before the last one, expected at least ${minLead} ms`);
	if (!(end - first >= minLead)) problems.push(`the first "item" arrived ${(end - first).toFixed(0)} ms before the end of the response, expected at least ${minLead} ms`);
}

const summary = {
	status: stream.status,
	headersMs: stream.headersMs,
	beginMs: begins.length ? begins[0].ms : null,
	firstItemMs: first,
	lastItemMs: last,
	endChunkMs: ends.length ? ends[ends.length - 1].ms : null,
	lastChunkMs: lastChunk,
	responseEndMs: end,
	itemChunks: items.length,
	itemArrivals: itemEvents,
	dataEvents: stream.dataEvents.length,
	keepalives: stream.lines.filter((l) => l.json && l.json.type === 'keepalive').length,
	textChars: text.length,
};
console.error(
	`  stream: HTTP ${stream.status} (head after ${stream.headersMs} ms), begin at ${summary.beginMs} ms, ` +
		`first item at ${first} ms, last item at ${last} ms, end chunk at ${summary.endChunkMs} ms, response ended at ${end} ms; ` +
		`${items.length} item chunks in ${itemEvents} distinct arrivals (${stream.dataEvents.length} data events); ` +
		`text: "${text.replace(/\s+/g, ' ').slice(0, 100)}${text.length > 100 ? '...' : ''}"`,
);
process.stdout.write(`${JSON.stringify(summary)}\n`);

if (problems.length > 0) {
	for (const p of problems) process.stderr.write(`  FAIL ${p}\n`);
	fail(`${problems.length} problem(s) in ${file}`);
}
