import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Redis for shared state: conversation memory, caches, and metrics across queue-mode workers.
 * Optional on every node: without it, that state stays in the n8n process.
 */
export class AgentTeamRedisApi implements ICredentialType {
	name = 'agentTeamRedisApi';

	displayName = 'Agent Team Redis API';

	icon: Icon = { light: 'file:../nodes/Agent/agent.svg', dark: 'file:../nodes/Agent/agent.dark.svg' };

	documentationUrl = 'https://github.com/n8n-nodes-agent-team/n8n-nodes-agent-team/blob/main/docs/nodes/agent-team-redis-api.md';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1', placeholder: '127.0.0.1', description: 'The Redis server all n8n workers can reach' },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, placeholder: '6379', description: 'Redis port (6379 unless changed)' },
		{ displayName: 'Username', name: 'username', type: 'string', default: '', description: 'Redis 6+ ACL user; empty for the default user' },
		{ displayName: 'Password', name: 'password', type: 'string', typeOptions: { password: true }, default: '', description: 'Empty when Redis has no password' },
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0, placeholder: '0', description: 'Redis logical database (0 to 15 by default); n8n\'s queue may use the same one, keys are kept apart by the Key Prefix' },
		{ displayName: 'SSL/TLS', name: 'tls', type: 'boolean', default: false, description: 'Whether to connect over TLS (managed Redis services usually need it)' },
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
