/**
 * Compares a description (node parameters or credential properties) with what n8n's editor
 * rendered: every property the description declares, and that its displayOptions show for the
 * current values, must render a control a user can set. Collections get every option added;
 * fixed collections get a row when they have none. Nothing here names a property of this package,
 * so a new property is covered without editing the test.
 */
import { NodeHelpers, type INodeProperties, type INodePropertyCollection, type INodeTypeDescription } from 'n8n-workflow';
import type { Locator, Page } from 'playwright-core';

/** What a user can type into, toggle or pick from. */
const CONTROL = [
	'input:not([type="hidden"])',
	'textarea',
	'[contenteditable="true"]',
	'[role="switch"]',
	'[role="combobox"]',
	'.el-switch',
].join(', ');

const exact = (text: string) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);

export interface FormContext {
	page: Page;
	/** Where failures are reported, e.g. 'credential "Ollama Cluster API" (new)'. */
	where: string;
	failures: string[];
	/** The node type, for displayOptions that read @version; null for credentials. */
	nodeType: INodeTypeDescription | null;
	/** The properties the form was opened with, checked one by one. */
	checked: string[];
	/** The node's (or credential's) parameter values the form shows. */
	root: Record<string, unknown>;
}

/** Whether n8n shows the property for these values (the editor's own rule, from n8n-workflow). */
export function isShown(
	property: INodeProperties,
	values: Record<string, unknown>,
	nodeType: INodeTypeDescription | null,
	root: Record<string, unknown> = values,
): boolean {
	if (property.type === 'hidden') return false; // never rendered, by n8n's definition of the type
	const node = nodeType ? { typeVersion: Array.isArray(nodeType.version) ? Math.max(...nodeType.version) : nodeType.version } : null;
	// values: the parameter's siblings (a collection's own values); root: the node's, for "/name" keys
	return NodeHelpers.displayParameter(values as never, property, node, nodeType, root as never);
}

/** The defaults n8n starts a form with. */
export function defaultsOf(properties: INodeProperties[]): Record<string, unknown> {
	return Object.fromEntries(properties.filter((p) => p.default !== undefined).map((p) => [p.name, p.default]));
}

/** Checks every shown property of `properties` inside `scope`. */
export async function checkProperties(
	ctx: FormContext,
	scope: Locator,
	properties: INodeProperties[],
	values: Record<string, unknown>,
	path = '',
): Promise<void> {
	for (const property of properties) {
		if (!isShown(property, values, ctx.nodeType, ctx.root)) continue;
		const label = `${path}${property.displayName} (${property.name}, ${property.type})`;
		ctx.checked.push(label);
		if (property.type === 'notice') continue; // text, nothing to set
		if (property.type === 'collection') await checkCollection(ctx, scope, property, label);
		else if (property.type === 'fixedCollection') await checkFixedCollection(ctx, scope, property, label);
		else await checkControl(ctx, scope, property.name, label);
	}
}

/** A settable control inside n8n's wrapper for the parameter (data-test-id="parameter-input-NAME"). */
export async function checkControl(ctx: FormContext, scope: Locator, name: string, label: string): Promise<Locator | undefined> {
	const wrapper = scope.getByTestId(`parameter-input-${name}`).first();
	try {
		await wrapper.waitFor({ state: 'visible', timeout: 5000 });
	} catch {
		ctx.failures.push(`${ctx.where}: "${label}" is declared but renders no input at all`);
		return undefined;
	}
	const control = wrapper.locator(CONTROL).first();
	if ((await control.count()) === 0 || !(await control.isVisible())) {
		ctx.failures.push(`${ctx.where}: "${label}" renders its heading but no control a user can set`);
		return undefined;
	}
	// a dropdown is disabled while it loads its options
	for (let waited = 0; waited < 5000 && (await control.isDisabled()); waited += 250) await ctx.page.waitForTimeout(250);
	if (await control.isDisabled()) {
		ctx.failures.push(`${ctx.where}: "${label}" renders a disabled control`);
		return undefined;
	}
	return control;
}

/** The parameter item whose own label is `displayName`. */
function itemLabelled(ctx: FormContext, scope: Locator, displayName: string): Locator {
	return scope
		.getByTestId('parameter-item')
		.filter({ has: ctx.page.getByTestId('input-label').filter({ hasText: exact(displayName) }) })
		.last();
}

async function checkCollection(ctx: FormContext, scope: Locator, property: INodeProperties, label: string): Promise<void> {
	const options = (property.options ?? []) as INodeProperties[];
	const item = itemLabelled(ctx, scope, property.displayName);
	const add = item.getByTestId('collection-parameter-add').first();
	if ((await add.count()) === 0 || !(await add.isVisible())) {
		ctx.failures.push(
			`${ctx.where}: "${label}" renders its heading but no control to add its ${options.length} options (${options.map((o) => o.displayName).join(', ')})`,
		);
		return;
	}
	// what the node already holds, then each option n8n offers for those values, with its default
	const values: Record<string, unknown> = { ...((ctx.root[property.name] as Record<string, unknown> | undefined) ?? {}) };
	for (let added = true; added; ) {
		added = false;
		for (const option of options) {
			if (option.name in values || !isShown(option, values, ctx.nodeType, ctx.root)) continue;
			if (!(await item.getByTestId(`parameter-input-${option.name}`).count())) {
				await add.click();
				// the open list (n8n keeps closed ones in the page)
				const choice = ctx.page.locator('[data-test-id="collection-parameter-option"]:visible').filter({ hasText: exact(option.displayName) });
				try {
					await choice.first().click({ timeout: 5000 });
					await choice.first().waitFor({ state: 'hidden', timeout: 5000 });
				} catch {
					ctx.failures.push(`${ctx.where}: "${label}" does not offer the option "${option.displayName}"`);
					await ctx.page.keyboard.press('Escape');
				}
			}
			values[option.name] = option.default;
			added = true;
		}
	}
	// an option n8n drops again when the next one is added cannot be kept by a user
	for (const option of options) {
		if (option.name in values && option.type === 'fixedCollection' && !(await item.getByTestId(`fixed-collection-${option.name}`).count())) {
			ctx.failures.push(`${ctx.where}: "${label}" loses the option "${option.displayName}" when another option is added (give it a non-empty default)`);
			delete values[option.name];
		}
	}
	await checkProperties(ctx, item, options, values, `${property.displayName} > `);
}

async function checkFixedCollection(ctx: FormContext, scope: Locator, property: INodeProperties, label: string): Promise<void> {
	const box = scope.getByTestId(`fixed-collection-${property.name}`).first();
	if (!(await box.waitFor({ timeout: 5000 }).then(() => true, () => false))) {
		ctx.failures.push(`${ctx.where}: "${label}" renders no fixed collection`);
		return;
	}
	for (const group of (property.options ?? []) as INodePropertyCollection[]) {
		const first = group.values.find((v) => v.type !== 'hidden' && v.type !== 'notice');
		if (first && (await box.getByTestId(`parameter-input-${first.name}`).count()) === 0) {
			await box.getByTestId('fixed-collection-add').first().click();
			const choice = ctx.page.getByRole('option', { name: group.displayName, exact: true });
			if (await choice.count()) await choice.first().click();
		}
		await checkProperties(ctx, box, group.values, defaultsOf(group.values), `${property.displayName} > ${group.displayName} > `);
	}
}

/**
 * The value an input shows, as text; booleans as 'true'/'false'. An empty input shows its
 * placeholder (greyed out): that is what n8n's own forms use for "the default applies".
 */
export async function shownValue(control: Locator): Promise<string> {
	const role = await control.getAttribute('role');
	if (role === 'switch' || (await control.getAttribute('class'))?.includes('el-switch')) {
		const checked = (await control.getAttribute('aria-checked')) ?? String((await control.getAttribute('class'))?.includes('is-checked'));
		return checked;
	}
	const editable = await control.getAttribute('contenteditable');
	const value = editable === 'true' ? ((await control.textContent()) ?? '') : await control.inputValue();
	return value !== '' ? value : ((await control.getAttribute('placeholder')) ?? '');
}
