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
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
	{
		// Tests, benchmarks and scripts print and use dev tools on purpose.
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '**/*.test.ts'],
		rules: {
			'no-console': 'off',
			'@n8n/community-nodes/no-restricted-imports': 'off',
			'@n8n/community-nodes/no-restricted-globals': 'off',
			'import-x/no-nodejs-modules': 'off',
		},
	},
];
