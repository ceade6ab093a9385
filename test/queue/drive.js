#!/usr/bin/env node
// Sends webhook POSTs and records every answer: node drive.js URL COUNT CONCURRENCY BODY_JSON OUT [TIMEOUT_MS]
// BODY_JSON may contain {i} (the request's index). OUT gets [{ i, status, ms, body }] in index order;
// a request that fails at the HTTP level has status 0 and its error in body.
'use strict';

const fs = require('fs');

const [url, countText, concurrencyText, template, out, timeoutText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
const timeoutMs = Number(timeoutText || 180000);
const results = new Array(count);
let next = 0;

async function one(i) {
	const t0 = Date.now();
	try {
		const response = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: template.replaceAll('{i}', String(i)),
			signal: AbortSignal.timeout(timeoutMs),
		});
		const text = await response.text();
		let body = text;
		try {
			body = JSON.parse(text);
		} catch {
			// n8n's error pages are text
		}
		results[i] = { i, status: response.status, ms: Date.now() - t0, body };
	} catch (error) {
		results[i] = { i, status: 0, ms: Date.now() - t0, body: String(error && error.message) };
	}
}

async function lane() {
	while (next < count) await one(next++);
}

Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane)).then(() => {
	fs.writeFileSync(out, JSON.stringify(results, null, 1));
	const bad = results.filter((r) => r.status !== 200).length;
	process.stdout.write(`${count} requests, ${count - bad} answered 200\n`);
});
