// Writes the throughput workflow: Manual Trigger -> Set (list of N prompts) -> Split Out -> Team Agent.
'use strict';
const fs = require('fs');
const [items, out] = process.argv.slice(2);
const cred = { ollamaClusterApi: { id: 'agentTeamOllama1', name: 'Ollama Cluster API' } };
const workflow = {
	id: `thr${items}x${Date.now() % 100000}`,
	name: `Throughput ${items} items`,
	nodes: [
		{ parameters: {}, id: 't1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] },
		{
			parameters: { mode: 'raw', jsonOutput: `={{ { "list": Array.from({ length: ${Number(items)} }, (_, i) => "Question " + i + ": say something." ) } }}`, options: {} },
			id: 't2', name: 'Make List', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0],
		},
		{ parameters: { fieldToSplitOut: 'list', options: {} }, id: 't3', name: 'Split Out', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [400, 0] },
		{
			parameters: { model: 'llama3.2:3b', role: 'custom', prompt: '={{ $json.list }}', options: {} },
			id: 't4', name: 'Team Agent', type: 'n8n-nodes-agent-team.teamAgent', typeVersion: 1, position: [600, 0], credentials: cred,
		},
	],
	connections: {
		Start: { main: [[{ node: 'Make List', type: 'main', index: 0 }]] },
		'Make List': { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
		'Split Out': { main: [[{ node: 'Team Agent', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
	pinData: {},
	active: false,
};
fs.writeFileSync(out, JSON.stringify(workflow, null, '\t'));
