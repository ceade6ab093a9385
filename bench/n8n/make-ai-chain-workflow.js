// Writes a Basic LLM Chain throughput workflow: Manual Trigger -> Set (N prompts) -> Split Out ->
// Basic LLM Chain, fed by this package's Ollama Cluster Chat Model or n8n's own Ollama Chat Model.
// Usage: node make-ai-chain-workflow.js OUT.json ID ITEMS MODEL(cluster|n8n) BATCH_SIZE CREDENTIAL_ID [REPEAT_SHARE] [CACHE(0|1)]
//   REPEAT_SHARE 0.5: every other prompt repeats an earlier one (temperature 0 then, so the cache may serve it)
'use strict';
const fs = require('fs');
const [out, id, itemsArg, model, batchArg, credentialId, repeatArg = '0', cacheArg = '0'] = process.argv.slice(2);
const items = Number(itemsArg);
const repeat = Number(repeatArg);
const unique = Math.max(1, Math.round(items * (1 - repeat)));
const deterministic = repeat > 0 ? { temperature: 0 } : {};
const modelNode =
	model === 'n8n'
		? {
				parameters: { model: 'llama3.2:3b', options: { ...deterministic } },
				name: 'Chat Model', type: '@n8n/n8n-nodes-langchain.lmChatOllama', typeVersion: 1,
				credentials: { ollamaApi: { id: credentialId, name: 'Ollama (n8n)' } },
			}
		: {
				parameters: { model: 'llama3.2:3b', options: { ...deterministic, ...(cacheArg === '1' ? { cache: { settings: { mode: 'exact', namespace: id } } } : {}) } },
				name: 'Chat Model', type: 'n8n-nodes-agent-team.ollamaClusterChatModel', typeVersion: 1,
				credentials: { ollamaClusterApi: { id: credentialId, name: `Ollama Cluster ${credentialId}` } },
			};
const workflow = {
	id,
	name: `Basic LLM Chain ${items} items (${model}, batch ${batchArg})`,
	nodes: [
		{ parameters: {}, id: 'c1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0] },
		{
			parameters: { mode: 'raw', jsonOutput: `={{ { "list": Array.from({ length: ${items} }, (_, i) => "Question " + (i % ${unique}) + ": say something." ) } }}`, options: {} },
			id: 'c2', name: 'Make List', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0],
		},
		{ parameters: { fieldToSplitOut: 'list', options: {} }, id: 'c3', name: 'Split Out', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [400, 0] },
		{
			parameters: { promptType: 'define', text: '={{ $json.list }}', ...(batchArg === 'default' ? {} : { batching: { batchSize: Number(batchArg) } }) },
			id: 'c4', name: 'Basic LLM Chain', type: '@n8n/n8n-nodes-langchain.chainLlm', typeVersion: 1.9, position: [600, 0],
			// failed items become items with an error instead of ending the run, so they can be counted
			onError: 'continueRegularOutput',
		},
		{ ...modelNode, id: 'c5', position: [600, 200] },
	],
	connections: {
		Start: { main: [[{ node: 'Make List', type: 'main', index: 0 }]] },
		'Make List': { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
		'Split Out': { main: [[{ node: 'Basic LLM Chain', type: 'main', index: 0 }]] },
		'Chat Model': { ai_languageModel: [[{ node: 'Basic LLM Chain', type: 'ai_languageModel', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
	pinData: {},
	active: false,
};
fs.writeFileSync(out, JSON.stringify(workflow, null, '\t'));
