#!/usr/bin/env node
// Asserts on a real n8n run of examples/agent-tools.json: the Team Agent called n8n's own
// Calculator tool sub-node (@n8n/n8n-nodes-langchain.toolCalculator) through its ai_tool input
// and fed the result back to the model.
//
// Usage: node assert-tools.js EXECUTE.out WORKFLOW.json SIM_BEFORE.json SIM_AFTER.json BACKEND TOOL_NAME
//   EXECUTE.out: stdout of `n8n execute --id X --rawOutput`; SIM_*: GET /_sim/stats around it,
//   with the script {"match":"calculator","toolCalls":[{"name":TOOL_NAME,"arguments":{"input":"21 * 2"}}],"times":1}.
//   TOOL_NAME: the name n8n gives the Calculator tool, which is its node's name ("Calculator")
//   through nodeNameToToolName, not LangChain's "calculator".
//   Team Agent item 0: toolCalls[0] is TOOL_NAME -> "42", output mentions 42, calls == 2,
//   backend == BACKEND, memory of session "demo-session"; the "Run Summary" output holds the run summary;
//   the simulator got exactly 2 new /api/chat requests, the first offering the calculator tool,
//   the second carrying the tool message "42". The Calculator node's own run data (n8n logs
//   sub-node runs) is checked when the IRun has it.
'use strict';

const fs = require('fs');
const { extractJson } = require('./json-doc');

const [execFile, workflowFile, beforeFile, afterFile, backend, toolName] = process.argv.slice(2);
const AGENT = 'Team Agent';
const TOOL_TYPE = '@n8n/n8n-nodes-langchain.toolCalculator';

function fail(message) {
	process.stderr.write(`assert-tools: ${message}\n`);
	process.exit(1);
}
if (!toolName) fail('usage: assert-tools.js EXECUTE.out WORKFLOW.json SIM_BEFORE.json SIM_AFTER.json BACKEND TOOL_NAME');

let run;
let workflow;
let before;
let after;
try {
	run = extractJson(fs.readFileSync(execFile, 'utf8'), execFile);
	workflow = JSON.parse(fs.readFileSync(workflowFile, 'utf8'));
	before = JSON.parse(fs.readFileSync(beforeFile, 'utf8'));
	after = JSON.parse(fs.readFileSync(afterFile, 'utf8'));
} catch (error) {
	fail(error.message);
}

const problems = [];
const check = (ok, message) => {
	if (!ok) problems.push(message);
	return ok;
};
const show = (v) => JSON.stringify(v);

const resultData = run && run.data && run.data.resultData;
if (!resultData || !resultData.runData) fail(`${execFile} holds no data.resultData.runData`);
if (resultData.error) fail(`the execution failed: ${show(resultData.error).slice(0, 2000)}`);
check(!run.status || run.status === 'success', `execution status is ${run.status}`);
const runData = resultData.runData;

// ---- the Team Agent's items
const agentRuns = runData[AGENT];
if (!Array.isArray(agentRuns) || agentRuns.length === 0) fail(`node "${AGENT}" did not run (ran: ${Object.keys(runData).join(', ')})`);
if (agentRuns[0].error) fail(`node "${AGENT}" failed: ${agentRuns[0].error.message}`);
const mainOutputs = (agentRuns[0].data && agentRuns[0].data.main) || [];
const items = (mainOutputs[0] || []).map((i) => i.json);
// The run summary has its own output ("Run Summary"), apart from the answers.
const summaryItems = (mainOutputs[1] || []).map((i) => i.json);
if (items.length < 1) fail(`node "${AGENT}" output no answer item: ${show(mainOutputs).slice(0, 1000)}`);
const item = items[0];
const calls = item.toolCalls;
if (check(Array.isArray(calls) && calls.length >= 1, `item 0 has no toolCalls: ${show(item).slice(0, 1000)}`)) {
	const call = calls[0];
	check(call.tool === toolName, `toolCalls[0].tool is ${show(call.tool)}, expected ${show(toolName)}`);
	check(show(call.arguments) === show({ input: '21 * 2' }), `toolCalls[0].arguments is ${show(call.arguments)}, expected {"input":"21 * 2"}`);
	check(String(call.result) === '42', `toolCalls[0].result is ${show(call.result)}, expected "42" (n8n's Calculator computed 21 * 2)`);
	check(!call.error, `toolCalls[0].error: ${call.error}`);
	check(calls.length === 1, `${calls.length} tool calls, expected 1: ${show(calls)}`);
	check(call.iteration === 1, `toolCalls[0].iteration is ${show(call.iteration)}, expected 1`);
}
check(typeof item.output === 'string' && item.output.includes('42'), `output does not mention 42: ${show(item.output)}`);
check(item.calls === 2, `calls is ${show(item.calls)}, expected 2 (the tool call turn and the answer)`);
check(item.backend === backend, `backend is ${show(item.backend)}, expected ${show(backend)}`);
check(item.tokenUsage && Number(item.tokenUsage.totalTokens) > 0, `tokenUsage.totalTokens is not > 0: ${show(item.tokenUsage)}`);
const memory = item.memory;
if (check(memory && typeof memory === 'object', `item 0 has no memory: ${show(item).slice(0, 1000)}`)) {
	check(memory.sessionKey === 'demo-session', `memory.sessionKey is ${show(memory.sessionKey)}, expected "demo-session"`);
	check(memory.store === 'memory', `memory.store is ${show(memory.store)}, expected "memory" (no Redis credential)`);
}
const summaryItem = summaryItems[0];
const runSummary = summaryItem && summaryItem.runSummary;
if (check(runSummary && typeof runSummary === 'object', `the "Run Summary" output holds no run summary: ${show(summaryItems).slice(0, 500)}`)) {
	// The summary's token totals cover both model calls of the item.
	check(
		item.tokenUsage && runSummary.promptTokens === item.tokenUsage.promptTokens && runSummary.completionTokens === item.tokenUsage.completionTokens,
		`runSummary tokens ${runSummary.promptTokens}/${runSummary.completionTokens} are not the item's tokenUsage ${show(item.tokenUsage)}`,
	);
	check(runSummary.errors === 0, `runSummary.errors is ${show(runSummary.errors)}`);
	// The summary counts model calls: the tool turn and the answer.
	check(runSummary.calls === item.calls, `runSummary.calls is ${show(runSummary.calls)}, the item made ${show(item.calls)} model calls`);
}
check(items.length === 1, `${items.length} answer items, expected 1`);
check(summaryItems.length === 1, `${summaryItems.length} run summary items, expected 1`);

// ---- the Calculator sub-node in the run data: n8n's logWrapper (around the tool's _call) records
// each invocation as a run of the tool node, with source = the agent node. n8n 2.41 puts it in
// --rawOutput's runData; set N8N_E2E_TOOL_RUNDATA=optional for an n8n that does not.
const toolNodes = (workflow.nodes || []).filter((n) => n.type === TOOL_TYPE).map((n) => n.name);
if (toolNodes.length !== 1) fail(`${workflowFile} has ${toolNodes.length} ${TOOL_TYPE} node(s), expected 1`);
const toolRuns = runData[toolNodes[0]];
let toolNote;
if (Array.isArray(toolRuns) && toolRuns.length > 0) {
	const tr = toolRuns[0];
	const firstJson = (conn) => conn && conn.ai_tool && conn.ai_tool[0] && conn.ai_tool[0][0] && conn.ai_tool[0][0].json;
	const out = firstJson(tr.data);
	const input = firstJson(tr.inputOverride);
	check(toolRuns.length === 1, `node "${toolNodes[0]}" ran ${toolRuns.length} times, expected 1`);
	check(!tr.error && (!tr.executionStatus || tr.executionStatus === 'success'), `node "${toolNodes[0]}" failed: ${show(tr.error || tr.executionStatus)}`);
	check(out && String(out.response) === '42', `node "${toolNodes[0]}"'s ai_tool output is ${show(tr.data)}, expected {"response":"42"}`);
	check(!input || input.query === '21 * 2', `node "${toolNodes[0]}"'s recorded input is ${show(input)}, expected {"query":"21 * 2"}`);
	check(
		Array.isArray(tr.source) && tr.source.some((src) => src && src.previousNode === AGENT),
		`node "${toolNodes[0]}"'s run has source ${show(tr.source)}, expected "${AGENT}"`,
	);
	toolNote = `node "${toolNodes[0]}" in the run data: input ${show(input)}, output ${show(out)}, source ${show((tr.source || []).map((src) => src && src.previousNode))}`;
} else {
	toolNote = `node "${toolNodes[0]}" is not in the run data (ran: ${Object.keys(runData).join(', ')})`;
	if (process.env.N8N_E2E_TOOL_RUNDATA !== 'optional') problems.push(`${toolNote}; n8n records a tool sub-node's invocations there`);
}

// ---- what the simulator saw
const chatCount = (s) =>
	Object.entries(s.requestsByEndpoint || {})
		.filter(([endpoint]) => /\/api\/chat\b/.test(endpoint))
		.reduce((sum, [, n]) => sum + n, 0);
const chatDelta = chatCount(after) - chatCount(before);
check(chatDelta === 2, `the simulator got ${chatDelta} new /api/chat request(s), expected 2`);
const newRequests = (after.requests || 0) - (before.requests || 0);
const recent = (after.lastRequests || []).slice(-Math.max(newRequests, 0)).filter((r) => /\/api\/chat\b/.test(r.path));
if (check(recent.length === 2, `lastRequests holds ${recent.length} of the new /api/chat requests, expected 2`)) {
	const [first, second] = recent.map((r) => r.body || {});
	const toolNames = (first.tools || []).map((t) => t && t.function && t.function.name);
	check(show(toolNames) === show([toolName]), `the first request offered the tools ${show(toolNames)}, expected [${show(toolName)}]`);
	check(!(first.messages || []).some((m) => m.role === 'tool'), 'the first request already holds a tool message');
	const toolMessages = (second.messages || []).filter((m) => m.role === 'tool');
	check(
		toolMessages.length === 1 && toolMessages[0].content === '42',
		`the second request's tool messages are ${show(toolMessages)}, expected one with content "42"`,
	);
	const assistant = (second.messages || []).find((m) => m.role === 'assistant' && Array.isArray(m.tool_calls));
	check(
		assistant && assistant.tool_calls[0] && assistant.tool_calls[0].function && assistant.tool_calls[0].function.name === toolName,
		`the second request has no assistant message with the ${toolName} tool call: ${show(second.messages).slice(0, 800)}`,
	);
}

if (problems.length > 0) {
	for (const p of problems) process.stderr.write(`  FAIL ${p}\n`);
	process.stderr.write(`  note: ${toolNote}\n`);
	fail(`${problems.length} problem(s) in ${execFile}`);
}
console.error(
	`  ok "${AGENT}": ${toolName}(${show(calls[0].arguments)}) -> ${show(calls[0].result)}, calls=${item.calls}, ` +
		`output=${show(item.output)}, memory=${show(memory)}, runSummary.calls=${runSummary.calls} (tokens ${runSummary.promptTokens}+${runSummary.completionTokens})`,
);
console.error(`  ok simulator: +2 /api/chat, the second with the tool message "42"`);
console.error(`  ${toolNote}`);
process.stdout.write(`${JSON.stringify({ toolInRunData: Array.isArray(toolRuns) && toolRuns.length > 0, note: toolNote })}\n`);
