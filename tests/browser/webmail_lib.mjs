// Shared by the webmail scenarios (tests/it/test_webmail_browser.py):
// log in on a WebUser Login page and wait for the webmail to be ready.
import { check } from './lib.mjs';

export const HOSTS = ['--host-resolver-rules=MAP *.test 127.0.0.1'];

export async function wmLogin(page, url, user, password) {
	page.setDefaultTimeout(60000);	// ASan builds on a busy machine
	await page.goto(url);
	await page.fill('input[name="username"]', user);
	await page.fill('input[name="password"]', password);
	await Promise.all([page.waitForURL(/\/Mailboxes$/), page.click('form button[type="submit"]')]);
	await ready(page);
}

// Waits for the webmail to have started; says what it shows when it did not.
export async function ready(page) {
	try {
		await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
	} catch (e) {
		const st = await page.textContent('#wm-status').catch(() => '(no status line)');
		throw new Error(`the webmail did not start: status "${st}" at ${page.url()}`);
	}
}

// Collects page errors and CSP violations: the app must run without either.
export function watchErrors(page) {
	const errors = [];
	page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
	page.on('console', (m) => {
		if (m.type() === 'error' && !/Failed to load resource/.test(m.text()) &&
		    errors.length < 5)
			errors.push('console: ' + m.text().slice(0, 300));
	});
	return () => check(errors.length === 0, 'no script error or CSP violation' +
	    (errors.length ? ': ' + errors.join(' | ') : ''));
}

// Opens the mailbox with this role (inbox, drafts, sent, trash).
export async function openRole(page, role) {
	await page.click(`#mboxes li[data-role="${role}"] a`);
	await page.waitForTimeout(50);
}

// Waits until a row of the list has this subject; false after ms.
export async function waitRow(page, subject, ms = 30000) {
	try {
		await page.locator('#list li', { hasText: subject }).first().waitFor({ timeout: ms });
		return true;
	} catch (e) {
		return false;
	}
}
