#!/usr/bin/env node
// POSTs a JSON body to a streaming n8n webhook (responseMode "streaming") and records WHEN each
// piece of the answer arrives, so a test can tell tokens sent during the generation from a body
// sent at the end.
//
// Usage: node stream-client.js URL JSON_BODY [TIMEOUT_MS]   (prints one JSON document on stdout)
//
// n8n 2.41 answers 200 with Transfer-Encoding: chunked right away (the Webhook node writes the
// head) and then one JSON object per line: each `sendChunk` of a node is
// `{"type":"begin"|"item"|"end"|"error","content":"...","metadata":{"nodeId","nodeName","itemIndex","runIndex","timestamp"}}`
// (WorkflowRunner's sendChunk hook writes JSON.stringify(chunk) + "\n"), every 30 s a
// `{"type":"keepalive"}` line, and the response ends when the execution finishes.
//
// Output: { url, status, headers, headersMs, endMs, bytes, dataEvents: [{ ms, bytes }],
//           lines: [{ ms, json } | { ms, raw }], error? }
// Every ms is measured from the moment the request was sent; a line's ms is the arrival of the
// data event that completed it. Exits 0 whenever a response ended (whatever its status), 1 on a
// network error or timeout (after printing what arrived).
'use strict';

const http = require('http');

const [url, body = '{}', timeoutArg = '60000'] = process.argv.slice(2);
if (!url) {
	process.stderr.write('usage: stream-client.js URL JSON_BODY [TIMEOUT_MS]\n');
	process.exit(2);
}
const timeoutMs = Number(timeoutArg);
const t0 = performance.now();
const since = () => Math.round((performance.now() - t0) * 10) / 10;

const result = { url, status: 0, headers: {}, headersMs: null, endMs: null, bytes: 0, dataEvents: [], lines: [] };
let pending = '';
let finished = false;

function addLine(line, ms) {
	if (line.trim() === '') return;
	try {
		result.lines.push({ ms, json: JSON.parse(line) });
	} catch {
		result.lines.push({ ms, raw: line });
	}
}

function finish(error) {
	if (finished) return;
	finished = true;
	clearTimeout(timer);
	if (pending) addLine(pending, since());
	pending = '';
	if (error) result.error = error;
	process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
	process.exitCode = error ? 1 : 0;
}

const req = http.request(
	url,
	{
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
	},
	(res) => {
		result.status = res.statusCode;
		result.headers = res.headers;
		result.headersMs = since();
		res.setEncoding('utf8');
		res.on('data', (chunk) => {
			const ms = since();
			result.bytes += Buffer.byteLength(chunk);
			result.dataEvents.push({ ms, bytes: Buffer.byteLength(chunk) });
			pending += chunk;
			let nl;
			while ((nl = pending.indexOf('\n')) !== -1) {
				addLine(pending.slice(0, nl), ms);
				pending = pending.slice(nl + 1);
			}
		});
		res.on('end', () => {
			result.endMs = since();
			finish();
		});
		res.on('error', (error) => finish(`response error: ${error.message}`));
		res.on('aborted', () => finish('the response was aborted'));
	},
);
const timer = setTimeout(() => {
	finish(`no complete response within ${timeoutMs} ms`);
	req.destroy();
}, timeoutMs);
req.on('error', (error) => finish(`request error: ${error.message}`));
req.end(body);
