/**
 * A logged-in n8n editor in Debian's chromium (playwright-core): the owner account is set up
 * through n8n's REST API (/rest/owner/setup, /rest/login), every console message and failed
 * request is recorded, and REST helpers share the browser's session cookie.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { chromium, selectors, type Browser, type BrowserContext, type Page } from 'playwright-core';

export interface EditorSession {
	browser: Browser;
	context: BrowserContext;
	page: Page;
	baseUrl: string;
	/** Console errors, page errors and failed requests seen so far. */
	problems: string[];
	rest<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
	close(): Promise<void>;
}

/** A throwaway owner for a throwaway n8n (a fresh database per run; UI_OWNER_PASSWORD to reuse a running one). */
const OWNER = { email: 'ui-test@example.com', firstName: 'Ui', lastName: 'Test', password: process.env.UI_OWNER_PASSWORD ?? `Ui-${randomBytes(12).toString('hex')}-1` };

export async function openEditor(options: {
	baseUrl: string;
	executablePath: string;
	consoleLog: string;
	colorScheme?: 'light' | 'dark';
}): Promise<EditorSession> {
	selectors.setTestIdAttribute('data-test-id'); // n8n's attribute
	const browser = await chromium.launch({
		executablePath: options.executablePath,
		headless: true,
		args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
	});
	const context = await browser.newContext({
		viewport: { width: 1280, height: 820 },
		deviceScaleFactor: 1,
		colorScheme: options.colorScheme ?? 'light',
		locale: 'en-US',
		timezoneId: 'UTC',
	});
	const problems: string[] = [];
	const note = (line: string) => appendFileSync(options.consoleLog, `${new Date().toISOString()} ${line}\n`);
	context.on('page', (p) => watch(p));
	function watch(p: Page) {
		p.on('console', (msg) => {
			note(`console.${msg.type()}: ${msg.text()} (${msg.location().url})`);
			if (msg.type() === 'error') problems.push(`console error: ${msg.text()} (${msg.location().url})`);
		});
		p.on('pageerror', (error) => {
			note(`pageerror: ${error.stack ?? error.message}`);
			problems.push(`page error: ${error.message}\n${error.stack ?? ''}`);
		});
		p.on('requestfailed', (request) => {
			note(`requestfailed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
			problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`);
		});
		p.on('response', (response) => {
			if (response.status() >= 400) {
				note(`http ${response.status()}: ${response.request().method()} ${response.url()}`);
				problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
			}
		});
	}

	const rest = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
		const response = await context.request.fetch(`${options.baseUrl}/rest${path}`, {
			method,
			data: body === undefined ? undefined : body,
			headers: { 'Content-Type': 'application/json' },
		});
		const text = await response.text();
		if (!response.ok()) throw new Error(`${method} /rest${path} answered HTTP ${response.status()}: ${text.slice(0, 500)}`);
		const parsed = text ? (JSON.parse(text) as { data?: T }) : {};
		return (parsed.data ?? parsed) as T;
	};

	const settings = await rest<{ userManagement?: { showSetupOnFirstLoad?: boolean } }>('GET', '/settings');
	if (settings.userManagement?.showSetupOnFirstLoad !== false) await rest('POST', '/owner/setup', OWNER);
	await rest('POST', '/login', { emailOrLdapLoginId: OWNER.email, password: OWNER.password });

	const page = await context.newPage();
	return {
		browser,
		context,
		page,
		baseUrl: options.baseUrl,
		problems,
		rest: rest as EditorSession['rest'],
		close: async () => {
			await context.close().catch(() => undefined);
			await browser.close();
		},
	};
}
