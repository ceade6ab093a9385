import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/** Redis for shared state (conversation memory, caches, metrics across queue-mode workers). */
export class AgentTeamRedisApi implements ICredentialType {
	name = 'agentTeamRedisApi';

	displayName = 'Agent Team Redis API';

	icon: Icon = { light: 'file:../nodes/Agent/agent.svg', dark: 'file:../nodes/Agent/agent.dark.svg' };

	documentationUrl = 'https://redis.io/docs/latest/';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1' },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379 },
		{ displayName: 'Username', name: 'username', type: 'string', default: '' },
		{ displayName: 'Password', name: 'password', type: 'string', typeOptions: { password: true }, default: '' },
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0 },
		{ displayName: 'SSL/TLS', name: 'tls', type: 'boolean', default: false },
		{
			displayName: 'Key Prefix',
			name: 'keyPrefix',
			type: 'string',
			default: 'agent-team:',
			description: 'Prepended to every key this package writes, so several setups can share one Redis',
		},
	];
}
