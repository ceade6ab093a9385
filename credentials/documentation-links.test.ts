import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ICredentialType } from 'n8n-workflow';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { repository: { url: string } };
/** The repository page package.json names (git+https://…/x.git → https://…/x). */
const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');

/** GitHub's anchor for a README heading. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
const anchors = new Set(
	readFileSync(join(root, 'README.md'), 'utf8').split('\n').filter((l) => /^#{1,6}\s/.test(l)).map((l) => slug(l.replace(/^#+/, ''))),
);

const credentialLinks = readdirSync(__dirname)
	.filter((f) => f.endsWith('.credentials.ts'))
	.flatMap((f) => Object.values(require(join(__dirname, f)) as Record<string, new () => ICredentialType>))
	.map((Cls) => new Cls())
	.map((c) => [`credential ${c.name}`, c.documentationUrl ?? ''] as const);
const codexLinks = readdirSync(join(root, 'nodes'), { withFileTypes: true })
	.filter((d) => d.isDirectory())
	.flatMap((d) => readdirSync(join(root, 'nodes', d.name)).filter((f) => f.endsWith('.node.json')).map((f) => join(root, 'nodes', d.name, f)))
	.flatMap((file) => {
		const resources = (JSON.parse(readFileSync(file, 'utf8')) as { resources?: Record<string, Array<{ url: string }>> }).resources ?? {};
		return Object.values(resources).flat().map((r) => [file.slice(root.length + 1), r.url] as const);
	});

const DOCS_PAGE = `${repository}/blob/main/`;

describe('documentation links', () => {
	it.each([...credentialLinks, ...codexLinks])('%s points at a README section or a docs page of the repository package.json names', (_where, url) => {
		if (url.startsWith(DOCS_PAGE)) {
			// a page of this checkout, e.g. docs/nodes/team-agent.md
			const path = url.slice(DOCS_PAGE.length);
			expect(path).toMatch(/^docs\/[\w/-]+\.md$/);
			expect(existsSync(join(root, path))).toBe(true);
			return;
		}
		expect(url.startsWith(`${repository}#`)).toBe(true);
		expect(anchors).toContain(url.slice(repository.length + 1));
	});
});
