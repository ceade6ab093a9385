import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface SimulatorProcess {
	url: string;
	stop(): Promise<void>;
}

/**
 * Starts the simulator CLI in its own process (benchmarks: so the server does not share the
 * client's event loop) and resolves once it prints its address.
 */
export async function spawnSimulator(args: string[]): Promise<SimulatorProcess> {
	const root = join(__dirname, '..', '..');
	const child: ChildProcess = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'test', 'simulator', 'cli.ts'), '--port', '0', ...args], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const url = await new Promise<string>((resolve, reject) => {
		let out = '';
		const timer = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 20_000);
		child.stdout?.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			const match = /listening on (http:\/\/\S+)/.exec(out);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]);
			}
		});
		child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out}`)));
	});
	return {
		url,
		stop: async () => {
			if (child.exitCode !== null) return;
			const closed = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await closed;
		},
	};
}
