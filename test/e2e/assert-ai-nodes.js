#!/usr/bin/env node
// Asserts what n8n's own AI nodes did with this package's sub-nodes in one `n8n execute --rawOutput`.
//
// Usage: node assert-ai-nodes.js MODE EXECUTE.out SIM_BEFORE.json SIM_AFTER.json
//   agent-tool  the AI Agent called n8n's Calculator (21 * 2) and answered with 42; the Chat Model
//               sub-node logged its calls with token usage (what n8n's logs panel shows)
//   chain       the Basic LLM Chain answered all 50 items, one /api/chat each
//   extractor   the Information Extractor returned an object that matches its schema
//   rag         the in-memory vector store was filled through the Embeddings sub-node with fewer
//               /api/embed calls than documents; the Question and Answer Chain answered
// Prints a one-line summary on stdout.
'use strict';

const fs = require('fs');
const { extractJson } = require('./json-doc');

const [mode, execFile, beforeFile, afterFile] = process.argv.slice(2);
const fail = (message) => {
	process.stderr.write(`assert-ai-nodes ${mode}: ${message}\n`);
	process.exit(1);
};
if (!afterFile) fail('usage: assert-ai-nodes.js MODE EXECUTE.out SIM_BEFORE.json SIM_AFTER.json');

let run, before, after;
try {
	run = extractJson(fs.readFileSync(execFile, 'utf8'), execFile);
	before = JSON.parse(fs.readFileSync(beforeFile, 'utf8'));
	after = JSON.parse(fs.readFileSync(afterFile, 'utf8'));
} catch (error) {
	fail(error.message);
}
const show = (v) => JSON.stringify(v).slice(0, 1500);
const resultData = run && run.data && run.data.resultData;
if (!resultData || !resultData.runData) fail(`${execFile} holds no data.resultData.runData`);
// n8n's AI Agent rejecting the model ("Tools Agent requires Chat Model which supports Tools calling") lands here
if (resultData.error) fail(`the execution failed: ${show(resultData.error)}`);
const runData = resultData.runData;
const delta = (endpoint) => ((after.requestsByEndpoint || {})[endpoint] || 0) - ((before.requestsByEndpoint || {})[endpoint] || 0);

/** The main output items of a node's first run; fails naming the node when it did not run or failed. */
function items(node) {
	const runs = runData[node];
	if (!Array.isArray(runs) || runs.length === 0) fail(`node "${node}" did not run (ran: ${Object.keys(runData).join(', ')})`);
	if (runs[0].error) fail(`node "${node}" failed: ${show(runs[0].error)}`);
	return ((runs[0].data && runs[0].data.main && runs[0].data.main[0]) || []).map((i) => i.json);
}
/** The runs a sub-node logged on its AI connection (n8n's tracing: one per model call). */
function subNodeRuns(node, connection) {
	const runs = runData[node];
	if (!Array.isArray(runs) || runs.length === 0) fail(`sub-node "${node}" logged no run (ran: ${Object.keys(runData).join(', ')})`);
	const failed = runs.find((r) => r.error);
	if (failed) fail(`sub-node "${node}" logged an error: ${show(failed.error)}`);
	return runs.map((r) => (((r.data && r.data[connection]) || [])[0] || [])[0]).filter(Boolean).map((i) => i.json);
}

const summary = [];
if (mode === 'agent-tool') {
	const [out] = items('AI Agent');
	if (!out || typeof out.output !== 'string' || !out.output.includes('42')) fail(`the AI Agent's answer does not carry the Calculator's 42: ${show(out)}`);
	const calc = runData['Calculator'];
	if (!Array.isArray(calc) || calc.length === 0) fail(`n8n's Calculator tool did not run (ran: ${Object.keys(runData).join(', ')})`);
	const model = subNodeRuns('Ollama Cluster Chat Model', 'ai_languageModel');
	if (model.length < 2) fail(`expected 2 model calls (tool call, then answer) logged on the sub-node, saw ${model.length}`);
	const usage = model.map((m) => m.tokenUsage);
	if (!usage.every((u) => u && u.completionTokens > 0 && u.promptTokens > 0)) fail(`the sub-node's calls lack tokenUsage (logs panel tokens): ${show(model)}`);
	if (delta('/api/chat') !== 2) fail(`expected 2 /api/chat requests at the simulator, saw ${delta('/api/chat')}`);
	summary.push(`AI Agent answered "${out.output.slice(0, 60)}" after n8n's Calculator ran`, `${model.length} model calls logged with tokenUsage (${usage.map((u) => u.totalTokens).join(', ')} tokens)`);
} else if (mode === 'chain') {
	const out = items('Basic LLM Chain');
	if (out.length !== 50) fail(`expected 50 items from the Basic LLM Chain, got ${out.length}`);
	const empty = out.filter((o) => typeof o.text !== 'string' || o.text.length === 0);
	if (empty.length) fail(`${empty.length} item(s) have no text: ${show(empty[0])}`);
	if (delta('/api/chat') !== 50) fail(`expected 50 /api/chat requests at the simulator, saw ${delta('/api/chat')}`);
	summary.push(`Basic LLM Chain: 50 items answered, 50 /api/chat`);
} else if (mode === 'extractor') {
	const [out] = items('Information Extractor');
	const o = out && out.output;
	if (!o || typeof o.name !== 'string' || !Number.isInteger(o.age) || typeof o.city !== 'string') fail(`the extracted object does not match the schema: ${show(out)}`);
	summary.push(`Information Extractor: ${show(o)}`);
} else if (mode === 'rag') {
	const docs = items('Split Out').length;
	const embeds = delta('/api/embed');
	if (embeds < 1 || embeds >= docs) fail(`expected fewer /api/embed calls than the ${docs} documents (and at least one), saw ${embeds}`);
	const embedRuns = runData['Ollama Cluster Embeddings'];
	if (!Array.isArray(embedRuns) || embedRuns.length === 0) fail('the Embeddings sub-node logged no run');
	const [answer] = items('Question and Answer Chain');
	if (!answer || typeof answer.response !== 'string' || !answer.response) fail(`the Question and Answer Chain gave no answer: ${show(answer)}`);
	summary.push(`${docs} documents embedded into n8n's in-memory vector store with ${embeds} /api/embed call(s) in all`, `Q&A answered "${answer.response.slice(0, 50)}…"`);
} else fail(`unknown mode ${mode}`);
process.stdout.write(`${summary.join('; ')}\n`);
