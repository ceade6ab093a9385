/**
 * The reference pages in docs/nodes/ against the descriptions n8n shows: one page per node and per
 * credential listed in package.json's `n8n` field (read at run time, so a new node is covered
 * without editing this test), named after its display name in kebab case
 * (Team Agent → docs/nodes/team-agent.md, Ollama Cluster API → docs/nodes/ollama-cluster-api.md).
 *
 * The convention: each field a user can set in the editor, options inside collections and fields
 * inside fixedCollections included, has a table row that starts `| **<displayName>** |`; no such
 * row names a field that does not exist. Other tables on a page (operations, strategies, output
 * fields) write their first cell without bold.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { INodeProperties, INodePropertyCollection } from 'n8n-workflow';

import { loadPackageTypes } from '../harness/node-types';

const ROOT = join(__dirname, '..', '..');

/** "Ollama Cluster API" → "ollama-cluster-api" */
const pageName = (displayName: string) =>
	displayName
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-|-$/g, '');

interface Field {
	displayName: string;
	/** where the editor shows it, for the failure message: "Options → Cache → Mode" */
	where: string;
}

/** Every field a user can set, and the group names of fixedCollections (allowed as rows, not required). */
function fieldsOf(properties: INodeProperties[], parent = ''): { fields: Field[]; groups: string[] } {
	const fields: Field[] = [];
	const groups: string[] = [];
	for (const p of properties) {
		// a notice is a line of text and a hidden field has no control: nothing to document as a field
		if (p.type === 'notice' || p.type === 'hidden') continue;
		const where = parent ? `${parent} → ${p.displayName}` : p.displayName;
		fields.push({ displayName: p.displayName, where });
		if (p.type === 'collection') {
			const inner = fieldsOf((p.options ?? []) as INodeProperties[], where);
			fields.push(...inner.fields);
			groups.push(...inner.groups);
		}
		if (p.type === 'fixedCollection') {
			for (const group of (p.options ?? []) as INodePropertyCollection[]) {
				groups.push(group.displayName);
				const inner = fieldsOf(group.values, where);
				fields.push(...inner.fields);
				groups.push(...inner.groups);
			}
		}
	}
	return { fields, groups };
}

/** The display names a page documents: first cells `**…**` of its table rows. */
function documentedRows(markdown: string): string[] {
	return [...markdown.matchAll(/^\|\s*\*\*(.+?)\*\*\s*\|/gm)].map((m) => m[1].trim());
}

const { nodes, credentials } = loadPackageTypes();
const pages = [
	...Object.values(nodes).map((n) => ({ kind: 'node', displayName: n.description.displayName, properties: n.description.properties })),
	...Object.values(credentials).map((c) => ({ kind: 'credential', displayName: c.displayName, properties: c.properties })),
].map((p) => ({ ...p, page: `docs/nodes/${pageName(p.displayName)}.md` }));

describe('docs/nodes: one page per node and credential, matching what the editor shows', () => {
	it('covers every node and credential of package.json', () => {
		expect(pages.length).toBeGreaterThanOrEqual(7);
	});

	it.each(pages)('$page documents every field of the $kind $displayName, and only those', ({ kind, displayName, properties, page }) => {
		const file = join(ROOT, page);
		if (!existsSync(file)) throw new Error(`${page} is missing: every ${kind} in package.json's "n8n" field needs a page named after its display name "${displayName}"`);
		const rows = new Set(documentedRows(readFileSync(file, 'utf8')));
		const { fields, groups } = fieldsOf(properties);
		const problems: string[] = [];
		const missing = new Map<string, string>();
		for (const f of fields) if (!rows.has(f.displayName) && !missing.has(f.displayName)) missing.set(f.displayName, f.where);
		for (const [name, where] of missing) problems.push(`${page}: no row "| **${name}** |" for the field "${where}" of the ${kind} ${displayName}`);
		const known = new Set([...fields.map((f) => f.displayName), ...groups]);
		for (const row of rows) if (!known.has(row)) problems.push(`${page}: the row "| **${row}** |" names no field of the ${kind} ${displayName} (renamed or removed? write other tables' first cells without bold)`);
		if (problems.length > 0) throw new Error(problems.join('\n'));
	});

	it('reads rows the way the convention says (a test of the test)', () => {
		const md = '| **Model** | x |\n| Embed | not a field |\n|**Keep Alive**| y |\ntext **Bold** |';
		expect(documentedRows(md)).toEqual(['Model', 'Keep Alive']);
		const { fields, groups } = fieldsOf([
			{ displayName: 'Note', name: 'n', type: 'notice', default: '' },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [{ displayName: 'Seed', name: 'seed', type: 'number', default: -1 }] },
			{ displayName: 'Backends', name: 'backends', type: 'fixedCollection', default: {}, options: [{ displayName: 'Backend', name: 'backend', values: [{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' }] }] },
		]);
		expect(fields.map((f) => f.where)).toEqual(['Options', 'Options → Seed', 'Backends', 'Backends → Base URL']);
		expect(groups).toEqual(['Backend']);
	});
});
