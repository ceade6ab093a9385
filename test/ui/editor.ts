/**
 * The editor test (run by test/ui/run.sh, which starts n8n and the simulator): every node and
 * credential that package.json's "n8n" section declares is opened in n8n's editor in chromium.
 *
 *   credentials  the dialog new, then saved and reopened: every declared property renders a control
 *                (form-check.ts), and reopened, every field shows the value that will be used
 *   nodes        the panel with every option added (and each displayOptions variant): every declared
 *                property renders a control; credential slots have distinct labels; a model
 *                dropdown (loadOptions) lists the simulator's models
 *   examples     each examples/*.json imported and shown on the canvas; the package's icons load,
 *                the light one in the light theme and the dark one in the dark theme
 *   a run        the first example executed from the editor: it succeeds, and the logs panel shows
 *                the node's token count
 *   console      no console error, page error or failed request that comes from the package
 *
 * Screenshots go to docs/images/ (UI_SCREENSHOTS=0: not written). Failures are collected and all
 * printed; the exit status is 1 when there is any.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ICredentialType, INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';
import type { Page } from 'playwright-core';

import { checkControl, checkProperties, defaultsOf, isShown, shownValue, type FormContext } from './form-check';
import { openEditor, type EditorSession } from './session';

const REPO = path.resolve(__dirname, '..', '..');
const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set (run npm run test:ui)`); })();
const N8N_URL = env('N8N_URL');
const SIM_URL = env('SIM_URL');
const WORK = env('UI_WORK');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const IMAGES = process.env.UI_SCREENSHOTS === '0' ? undefined : path.join(REPO, 'docs', 'images');

const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[]; credentials: string[] };
};

function load<T>(file: string): T {
	const exported = require(path.join(REPO, file)) as Record<string, new () => T>;
	const base = path.basename(file).replace(/\.(node|credentials)\.js$/, '');
	const Cls = exported[base] ?? Object.values(exported).find((v) => typeof v === 'function');
	if (!Cls) throw new Error(`${file} exports no class`);
	return new Cls();
}
const credentialTypes = pkg.n8n.credentials.map((file) => load<ICredentialType>(file));
const nodeTypes = pkg.n8n.nodes.map((file) => {
	const node = load<INodeType & { nodeVersions?: Record<string, INodeType> }>(file);
	return (node.description ? node : Object.values(node.nodeVersions ?? {}).pop()!).description;
});
const typeName = (d: INodeTypeDescription) => `${pkg.name}.${d.name}`;

/** Field values the test types in: the simulator as the Ollama backend; everything else stays default. */
const FILL: Record<string, string> = { baseUrl: SIM_URL };

const failures: string[] = [];
const log = (line: string) => process.stderr.write(`[ui] ${line}\n`);
const shot = async (page: Page, name: string, target?: ReturnType<Page['locator']>) => {
	if (!IMAGES) return;
	mkdirSync(IMAGES, { recursive: true });
	const file = path.join(IMAGES, `${name}.png`);
	await (target ?? page).screenshot({ path: file, animations: 'disabled', caret: 'hide' });
	log(`screenshot docs/images/${name}.png`);
};
const slug = (s: string) => s.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

/**
 * Opens an editor route. Once the app is loaded it navigates with the app's own router (what a
 * click on a link does) instead of reloading the whole editor bundle for every page.
 */
async function open(page: Page, route: string) {
	const routed = page.url().startsWith(N8N_URL) &&
		(await page.evaluate(`(async () => {
			const router = document.querySelector('#app')?.__vue_app__?.config.globalProperties.$router;
			if (!router) return false;
			await router.push(${JSON.stringify(route)});
			return true;
		})()`).catch(() => false));
	if (!routed) await page.goto(`${N8N_URL}${route}`);
}

async function closeDialog(page: Page) {
	await page.keyboard.press('Escape');
	await page.getByTestId('credential-edit-dialog').waitFor({ state: 'hidden', timeout: 10000 }).catch(() => undefined);
}

// ----------------------------------------------------------------------------------------------
// Credentials: new, saved, reopened

async function checkCredential(s: EditorSession, type: ICredentialType): Promise<string> {
	const { page } = s;
	const ctx = (where: string): FormContext => ({ page, where, failures, nodeType: null, checked: [], root: defaultsOf(type.properties) });

	await open(page, '/home/credentials/create');
	await page.getByTestId('new-credential-type-select').locator('input').fill(type.displayName);
	await page.getByTestId('new-credential-type-select-option').filter({ hasText: type.displayName }).first().click();
	await page.getByTestId('new-credential-type-button').click();
	const dialog = page.getByTestId('credential-edit-dialog');
	await dialog.waitFor();
	await dialog.getByTestId('parameter-input-field').first().waitFor().catch(() => undefined);

	const frame = page.locator('.el-dialog').filter({ has: dialog }).first();
	await page.waitForTimeout(300);
	await shot(page, `credential-${slug(type.name)}`, frame);
	const values = defaultsOf(type.properties);
	const fresh = ctx(`credential "${type.displayName}" (new)`);
	await checkProperties(fresh, dialog, type.properties, values);
	log(`${fresh.where}: ${fresh.checked.length} properties checked`);

	// What the user types; everything else keeps its default.
	for (const [name, value] of Object.entries(FILL)) {
		const input = dialog.getByTestId(`parameter-input-${name}`).locator('input, textarea').first();
		if (await input.count()) await input.fill(value);
	}
	const [response] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/rest/credentials'),
		page.getByTestId('credential-save-button').click(),
	]);
	const id = ((await response.json()) as { data?: { id?: string } }).data?.id;
	if (!response.ok() || !id) throw new Error(`saving credential "${type.displayName}" answered HTTP ${response.status()}: ${(await response.text()).slice(0, 300)}`);
	await page.waitForTimeout(1500); // the connection test runs after the save
	await closeDialog(page);

	await open(page, `/home/credentials/${id}`);
	await dialog.waitFor();
	await dialog.getByTestId('parameter-input-field').first().waitFor().catch(() => undefined);
	const reopened = ctx(`credential "${type.displayName}" (reopened after save)`);
	await checkProperties(reopened, dialog, type.properties, values);
	await checkShowsWhatIsUsed(reopened, dialog, type.properties);
	// the part below the first notice (a section heading), else the end of the form
	const shown = type.properties.filter((p) => isShown(p, values, null));
	const notice = shown.findIndex((p) => p.type === 'notice');
	const target = notice >= 0 ? shown[notice + 1] : [...shown].reverse().find((p) => p.type !== 'notice');
	if (target) await dialog.getByTestId(`parameter-input-${target.name}`).first().scrollIntoViewIfNeeded().catch(() => undefined);
	await shot(page, `credential-${slug(type.name)}-reopened`, frame);
	await closeDialog(page);
	return id;
}

/** Reopened, every text and number field shows what the run will use: the value typed, else the default. */
async function checkShowsWhatIsUsed(ctx: FormContext, scope: ReturnType<Page['locator']>, properties: INodeProperties[], path = '') {
	for (const p of properties) {
		if (!isShown(p, defaultsOf(properties), null)) continue;
		if (p.type === 'fixedCollection') {
			for (const group of (p.options ?? []) as Array<{ displayName: string; values: INodeProperties[] }>) {
				await checkShowsWhatIsUsed(ctx, scope.getByTestId(`fixed-collection-${p.name}`).first(), group.values, `${path}${p.displayName} > `);
			}
			continue;
		}
		if ((p.type !== 'string' && p.type !== 'number') || p.typeOptions?.password) continue;
		const wrapper = scope.getByTestId(`parameter-input-${p.name}`).first();
		if (!(await wrapper.count())) continue; // a fixed collection row that does not exist
		const control = await checkControl({ ...ctx, failures: [] }, scope, p.name, p.displayName);
		if (!control) continue;
		const expected = FILL[p.name] ?? String(p.default ?? '');
		const shown = await shownValue(control);
		if (shown !== expected) {
			ctx.failures.push(`${ctx.where}: "${path}${p.displayName}" shows "${shown}" but the run uses "${expected}"`);
		}
	}
}

// ----------------------------------------------------------------------------------------------
// Workflows through the REST API

interface WorkflowJson {
	name: string;
	nodes: Array<{ id: string; name: string; type: string; credentials?: Record<string, { id: string; name: string }> } & Record<string, unknown>>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	pinData?: Record<string, unknown>;
}

async function createWorkflow(s: EditorSession, wf: WorkflowJson, credentialIds: Record<string, string>): Promise<string> {
	const nodes = wf.nodes.map((node) => ({
		...node,
		credentials: Object.fromEntries(
			Object.keys(node.credentials ?? {}).filter((t) => credentialIds[t]).map((t) => [t, { id: credentialIds[t], name: t }]),
		),
	}));
	const created = await s.rest<{ id: string }>('POST', '/workflows', {
		name: wf.name, nodes, connections: wf.connections, settings: wf.settings ?? { executionOrder: 'v1' }, pinData: wf.pinData ?? {}, active: false,
	});
	return created.id;
}

async function openCanvas(page: Page, workflowId: string, nodeId?: string) {
	await open(page, `/workflow/${workflowId}${nodeId ? `/${nodeId}` : ''}`);
	await page.locator('[data-test-id="canvas-node"], .vue-flow__node').first().waitFor({ timeout: 30000 });
}

// ----------------------------------------------------------------------------------------------
// Nodes: the panel with every option, each displayOptions variant

/** The first value of every show rule of `p` (keys starting with "/" are the node's). */
function valuesShowing(p: INodeProperties): { own: Record<string, unknown>; root: Record<string, unknown> } {
	const own: Record<string, unknown> = {};
	const root: Record<string, unknown> = {};
	for (const [key, allowed] of Object.entries(p.displayOptions?.show ?? {})) {
		if (key.startsWith('@') || !Array.isArray(allowed) || allowed.length === 0) continue;
		const first = allowed[0];
		if (typeof first === 'object' && first !== null) continue;
		if (key.startsWith('/')) root[key.slice(1)] = first;
		else own[key] = first;
	}
	return { own, root };
}

/**
 * Parameter values that show each property (or collection option) the defaults hide, merged into
 * as few panels as agree on their values.
 */
function variants(description: INodeTypeDescription): Array<Record<string, unknown>> {
	const defaults = defaultsOf(description.properties);
	const out: Array<Record<string, unknown>> = [];
	const add = (values: Record<string, unknown>) => {
		const agrees = (v: Record<string, unknown>) =>
			Object.entries(values).every(([k, x]) => !(k in v) || JSON.stringify(v[k]) === JSON.stringify(x) || (isObject(v[k]) && isObject(x)));
		const fits = out.find(agrees);
		if (!fits) return void out.push(values);
		for (const [k, x] of Object.entries(values)) fits[k] = isObject(fits[k]) && isObject(x) ? { ...fits[k], ...x } : x;
	};
	for (const p of description.properties) {
		if (p.type === 'hidden') continue;
		// A property of an older node version only (a default kept for saved workflows): a node opened
		// at the newest version never shows it; test/versions runs those versions in-process.
		const versionRule = p.displayOptions?.show?.['@version'];
		if (versionRule && !isShown({ ...p, displayOptions: { show: { '@version': versionRule } } }, {}, description)) continue;
		if (!isShown(p, defaults, description)) {
			const { own } = valuesShowing(p);
			if (isShown(p, { ...defaults, ...own }, description)) add(own);
			else failures.push(`node "${description.displayName}": cannot derive parameter values that show "${p.displayName}" (${p.name})`);
		}
		if (p.type !== 'collection') continue;
		const options = (p.options ?? []) as INodeProperties[];
		const everything = { ...defaultsOf(options) };
		for (const option of options) {
			if (isShown(option, everything, description, defaults)) continue;
			const { own, root } = valuesShowing(option);
			add({ ...root, [p.name]: own });
		}
	}
	return out;
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function checkNode(s: EditorSession, description: INodeTypeDescription, credentialIds: Record<string, string>, simModels: string[]) {
	const { page } = s;
	const nodeId = '0a1b2c3d-0000-4000-8000-00000000a001';
	const credentials = Object.fromEntries((description.credentials ?? []).map((c) => [c.name, { id: '', name: c.name }]));
	const dropdownsChecked = new Set<string>();
	for (const [index, values] of [{}, ...variants(description)].entries()) {
		const wf: WorkflowJson = {
			name: `UI test: ${description.displayName} ${index}`,
			nodes: [{ id: nodeId, name: description.defaults.name ?? description.displayName, type: typeName(description), typeVersion: Array.isArray(description.version) ? Math.max(...description.version) : description.version, position: [0, 0], parameters: values, credentials }],
			connections: {},
		};
		const id = await createWorkflow(s, wf, credentialIds);
		await openCanvas(page, id, nodeId);
		const ndv = page.getByTestId('ndv');
		await ndv.waitFor();
		const where = `node "${description.displayName}"${index ? ` with ${JSON.stringify(values)}` : ''}`;
		const all = { ...defaultsOf(description.properties), ...values };
		const ctx: FormContext = { page, where, failures, nodeType: description, checked: [], root: all };

		if (index === 0) {
			// credential slots: one per credential the node declares, each with its own label
			const labels = await ndv.getByTestId('credentials-label').allInnerTexts();
			const firstLines = labels.map((l) => l.split('\n')[0].trim());
			const shown = (description.credentials ?? []).filter((c) => isShown(c as never, all, description));
			if (firstLines.length < shown.length) failures.push(`${where}: ${shown.length} credentials declared, ${firstLines.length} credential fields rendered`);
			const dupes = firstLines.filter((l, i) => firstLines.indexOf(l) !== i);
			if (dupes.length) failures.push(`${where}: several credential fields are labelled "${dupes[0]}" (${firstLines.join(' | ')})`);
			await shot(page, `node-${slug(description.name)}`);
		}
		await checkProperties(ctx, ndv, description.properties, all);
		log(`${where}: ${ctx.checked.length} properties checked`);

		await checkModelDropdowns(ctx, description, all, simModels, dropdownsChecked);
		await page.getByTestId('ndv-close-button').first().click().catch(() => page.keyboard.press('Escape'));
	}
}

/** Every options parameter with a loadOptionsMethod lists what the simulator serves. */
async function checkModelDropdowns(
	ctx: FormContext,
	description: INodeTypeDescription,
	values: Record<string, unknown>,
	simModels: string[],
	done: Set<string>,
) {
	for (const p of description.properties) {
		if (p.type !== 'options' || !p.typeOptions?.loadOptionsMethod || done.has(p.name) || !isShown(p, values, description)) continue;
		done.add(p.name);
		const control = await checkControl(ctx, ctx.page.getByTestId('ndv'), p.name, p.displayName);
		if (!control) continue;
		await control.click();
		const items = ctx.page.locator('.el-select-dropdown__item:visible');
		try {
			await items.filter({ hasText: simModels[0] }).first().waitFor({ timeout: 15000 });
		} catch {
			ctx.failures.push(`${ctx.where}: the "${p.displayName}" dropdown does not list the simulator's models (${simModels.join(', ')}); it shows: ${(await items.allInnerTexts()).join(', ') || 'nothing'}`);
		}
		const listed = (await items.allInnerTexts()).join('\n');
		const missing = simModels.filter((m) => !listed.includes(m));
		if (missing.length && listed) ctx.failures.push(`${ctx.where}: the "${p.displayName}" dropdown misses ${missing.join(', ')}`);
		await ctx.page.keyboard.press('Escape');
	}
}

// ----------------------------------------------------------------------------------------------
// Examples on the canvas, icons in both themes, one executed run

async function checkIcons(page: Page, theme: 'light' | 'dark', where: string) {
	const icons = await page.locator(`img[src*="/icons/${pkg.name}/"]`).evaluateAll((imgs) =>
		(imgs as Array<{ getAttribute(n: string): string | null; complete: boolean; naturalWidth: number }>).map((img) => ({ src: img.getAttribute('src') ?? '', ok: img.complete && img.naturalWidth > 0 })),
	);
	if (icons.length === 0) failures.push(`${where} (${theme} theme): no icon of the package is shown`);
	for (const icon of icons) {
		if (!icon.ok) failures.push(`${where} (${theme} theme): icon ${icon.src} does not load`);
		const dark = /\.dark\.svg$/.test(icon.src);
		if (theme === 'dark' && !dark) failures.push(`${where} (dark theme): shows the light icon ${icon.src}`);
		if (theme === 'light' && dark) failures.push(`${where} (light theme): shows the dark icon ${icon.src}`);
	}
}

async function fitView(page: Page) {
	await page.getByTestId('zoom-to-fit').click().catch(() => undefined);
	await page.waitForTimeout(400);
}

async function runWorkflow(s: EditorSession, workflowId: string, name: string, workflowNodes: WorkflowJson['nodes']) {
	const { page } = s;
	await openCanvas(page, workflowId);
	await page.getByTestId('execute-workflow-button').click();
	const ours = workflowNodes.filter((n) => n.type.startsWith(`${pkg.name}.`)).map((n) => n.name);
	try {
		for (const nodeName of ours) {
			await page.locator('[data-test-id="canvas-node"]').filter({ hasText: nodeName }).getByTestId('canvas-node-status-success').first().waitFor({ timeout: 60000 });
		}
	} catch {
		failures.push(`example "${name}": executing it from the editor did not succeed`);
		return;
	}
	const panel = page.getByTestId('logs-panel');
	if (!(await page.getByTestId('logs-overview-body').isVisible())) await panel.getByText('Logs').first().click().catch(() => undefined);
	const body = page.getByTestId('logs-overview-body');
	await body.waitFor({ timeout: 10000 }).catch(() => undefined);
	// the counts arrive with the run data, a moment after the node's status
	let text = '';
	for (let waited = 0; waited <= 10000; waited += 500) {
		text = (await body.innerText().catch(() => '')) ?? '';
		if (/\d+\s+Tokens/i.test(text)) break;
		await page.waitForTimeout(500);
	}
	if (!/\d+\s+Tokens/i.test(text)) failures.push(`example "${name}": the logs panel shows no token count for the run (it shows: ${text.replace(/\s+/g, ' ').slice(0, 300)})`);
	await shot(page, 'run-logs');
	// the package node's panel after the run: its output
	const node = workflowNodes.find((n) => n.type.startsWith(`${pkg.name}.`));
	if (!node) return;
	await open(page, `/workflow/${workflowId}/${node.id}`);
	const output = page.getByTestId('ndv-data-container').last();
	let shown = '';
	for (let waited = 0; waited <= 10000 && !/output/.test(shown); waited += 500) {
		await page.waitForTimeout(500);
		shown = (await output.innerText().catch(() => '')) ?? '';
	}
	if (!/output/.test(shown)) failures.push(`example "${name}": the node's panel shows no output after the run`);
	await shot(page, 'run-output');
}

// ----------------------------------------------------------------------------------------------

function fromPackage(problem: string): boolean {
	const names = [pkg.name, ...nodeTypes.map((d) => d.name), ...credentialTypes.map((c) => c.name)];
	return names.some((n) => problem.includes(n)) || problem.includes('/rest/dynamic-node-parameters');
}

async function main() {
	const started = Date.now();
	const simModels = ((await (await fetch(`${SIM_URL}/api/tags`)).json()) as { models: Array<{ name: string }> }).models.map((m) => m.name);
	const light = await openEditor({ baseUrl: N8N_URL, executablePath: CHROMIUM, consoleLog: path.join(WORK, 'console.log') });
	const credentialIds: Record<string, string> = {};
	try {
		for (const type of credentialTypes) credentialIds[type.name] = await checkCredential(light, type);
		for (const description of nodeTypes) await checkNode(light, description, credentialIds, simModels);

		const examplesDir = path.join(REPO, 'examples');
		// n8n also registers NAMETool for a node that is usableAsTool (n8n's AI Agent calls it as a tool)
		const known = new Set(nodeTypes.flatMap((d) => (d.usableAsTool ? [typeName(d), `${typeName(d)}Tool`] : [typeName(d)])));
		const examples: Array<{ file: string; id: string; wf: WorkflowJson }> = [];
		for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()) {
			const wf = JSON.parse(readFileSync(path.join(examplesDir, file), 'utf8')) as WorkflowJson;
			const unknown = wf.nodes.filter((n) => n.type.startsWith(`${pkg.name}.`) && !known.has(n.type));
			if (unknown.length) failures.push(`examples/${file}: uses ${unknown.map((n) => n.type).join(', ')}, which package.json does not declare`);
			const id = await createWorkflow(light, wf, credentialIds);
			examples.push({ file, id, wf });
			await openCanvas(light.page, id);
			await fitView(light.page);
			await checkIcons(light.page, 'light', `examples/${file} on the canvas`);
			await shot(light.page, `example-${file.replace(/\.json$/, '')}`);
		}
		const runnable = examples.find((e) => e.wf.nodes.some((n) => n.type === 'n8n-nodes-base.manualTrigger'));
		if (runnable) await runWorkflow(light, runnable.id, runnable.file, runnable.wf.nodes);
		else failures.push('no example starts with a manual trigger, so none could be run from the editor');

		const dark = await openEditor({ baseUrl: N8N_URL, executablePath: CHROMIUM, consoleLog: path.join(WORK, 'console.log'), colorScheme: 'dark' });
		try {
			await dark.page.goto(`${N8N_URL}/home/workflows`);
			await dark.page.evaluate("localStorage.setItem('N8N_THEME', 'dark')");
			await openCanvas(dark.page, examples[0].id);
			await fitView(dark.page);
			await checkIcons(dark.page, 'dark', `examples/${examples[0].file} on the canvas`);
			await shot(dark.page, 'canvas-dark');
			light.problems.push(...dark.problems);
		} finally {
			await dark.close();
		}
	} finally {
		await light.close();
	}

	const own = light.problems.filter(fromPackage);
	for (const p of own) failures.push(`browser: ${p}`);
	log(`${light.problems.length} console/network problems in all (${own.length} from the package); see ${WORK}/console.log`);
	log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
	if (failures.length) {
		process.stderr.write(`\n[ui] ${failures.length} failure(s):\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
		process.exit(1);
	}
	log('every node and credential property renders a control a user can set');
}

main().catch((error) => {
	process.stderr.write(`[ui] ${error.stack ?? error}\n`);
	process.exit(1);
});
