// n8n's community-node rules, minus the Cloud-only ones: this package targets self-hosted n8n
// (it has runtime dependencies), as package.json's `"strict": false` says.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		// Self-hosted only: runtime dependencies (ollama, undici, ioredis, tiktoken) are the point.
		files: ['package.json'],
		rules: { '@n8n/community-nodes/no-runtime-dependencies': 'off' },
	},
	{
		// lib/ is usable outside n8n (index.js); it throws its own typed errors and the nodes turn
		// them into NodeOperationErrors naming the item and field (nodes/shared/node-error.ts).
		files: ['lib/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
	{
		// Tests, benchmarks and scripts print and use dev tools on purpose.
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '**/*.test.ts'],
		rules: {
			// Test tooling, not node code: it spawns servers, reads JSON bodies loosely, throws plain errors.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
			'@typescript-eslint/no-explicit-any': 'off',
			'@typescript-eslint/no-require-imports': 'off',
			'no-console': 'off',
			'@n8n/community-nodes/no-restricted-imports': 'off',
			'@n8n/community-nodes/no-restricted-globals': 'off',
			'import-x/no-nodejs-modules': 'off',
		},
	},
];
