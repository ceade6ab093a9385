import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Redis for shared state: conversation memory, caches, and metrics across queue-mode workers.
 * Optional on every node: without it, that state stays in the n8n process.
 */
export class AgentTeamRedisApi implements ICredentialType {
	name = 'agentTeamRedisApi';

	displayName = 'Agent Team Redis API';

	icon: Icon = { light: 'file:../nodes/Agent/agent.svg', dark: 'file:../nodes/Agent/agent.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-agent-team/n8n-nodes-agent-team#agent-team-redis-api';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1', placeholder: '127.0.0.1', description: 'The Redis server all n8n workers can reach' },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, placeholder: '6379' },
		{ displayName: 'Username', name: 'username', type: 'string', default: '' },
		{ displayName: 'Password', name: 'password', type: 'string', typeOptions: { password: true }, default: '' },
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0, placeholder: '0' },
		{ displayName: 'SSL/TLS', name: 'tls', type: 'boolean', default: false },
		{
			displayName: 'Key Prefix',
			name: 'keyPrefix',
			type: 'string',
			default: 'agent-team:',
			placeholder: 'agent-team:',
			description: 'Prepended to every key this package writes, so several setups can share one Redis',
		},
		{
			displayName: 'Cache Encryption Key',
			name: 'cacheEncryptionKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Optional. Cached answers are stored in Redis encrypted with AES-256-GCM under a key derived from this secret. Empty: stored as plain (compressed) JSON.',
		},
	];
}
