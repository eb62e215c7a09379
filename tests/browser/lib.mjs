// Shared by the WebAdmin browser scenarios: start Debian's chromium through
// playwright-core (no browser download), log in, check, save screenshots.
// Every scenario prints what failed and exits 1; 0 when all checks held.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let failures = 0;

export function check(cond, what) {
	if (cond) {
		console.log('ok: ' + what);
	} else {
		console.log('FAILED: ' + what);
		failures++;
	}
	return cond;
}

export async function launch(extraArgs = []) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tegami-chromium-'));
	// a fresh --user-data-dir: playwright passes it for a persistent context
	const browser = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu',
			'--disable-quic', '--no-first-run',
			'--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage', ...extraArgs],
		viewport: { width: 1280, height: 900 },
		timeout: 60000,
	});
	const close = async () => {
		await browser.close().catch(() => {});
		fs.rmSync(dir, { recursive: true, force: true });
	};
	return { browser, close };
}

// Runs main(context) with a fresh browser context; prints an exception as a failure.
export async function run(main, extraArgs = []) {
	const { browser, close } = await launch(extraArgs);
	try {
		await main(browser);
	} catch (e) {
		console.log('FAILED: ' + (e && e.stack ? e.stack : e));
		failures++;
	} finally {
		await close();
	}
	console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
	process.exit(failures ? 1 : 0);
}

// The login form of the WebAdmin (the core's page): account and password.
export async function login(page, url, user, password) {
	await page.goto(url);
	const userField = page.locator(
	    'input[name="username"], input[name="account"], input[name="user"], input[name="name"]').first();
	await userField.fill(user);
	await page.locator('input[type="password"]').first().fill(password);
	await Promise.all([
		page.waitForLoadState('load'),
		page.locator('form button, form input[type="submit"]').first().click(),
	]);
	await page.waitForLoadState('load');
}

// Submits the form holding the button (by its text), waiting for the next page.
export async function submit(page, scope, buttonText) {
	const b = scope.locator(`button:has-text("${buttonText}")`).first();
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), b.click()]);
}

export async function shot(page, dir, name) {
	if (!dir)
		return;
	fs.mkdirSync(dir, { recursive: true });
	for (const w of [1280, 400]) {
		await page.setViewportSize({ width: w, height: 900 });
		await page.screenshot({ path: path.join(dir, `${name}-${w}.png`),
			fullPage: true });
		// nothing may stick out sideways at this width
		const over = await page.evaluate(() =>
		    document.documentElement.scrollWidth -
		    document.documentElement.clientWidth);
		check(over <= 1, `${name} at ${w} px has no horizontal scroll (${over})`);
	}
	await page.setViewportSize({ width: 1280, height: 900 });
}

// A plain SMTP session (EHLO name, optionally one message); resolves with the
// server's lines.
export function smtp(host, port, helo, mail) {
	return new Promise((resolve, reject) => {
		const s = net.connect(port, host);
		const lines = [];
		const script = [`EHLO ${helo}`];
		if (mail) {
			script.push(`MAIL FROM:<${mail.from}>`, `RCPT TO:<${mail.to}>`,
			    'DATA', `Subject: ${mail.subject}\r\n\r\n${mail.body}\r\n.`);
		}
		script.push('QUIT');
		let buf = '', step = 0;
		const timer = setTimeout(() => { s.destroy(); reject(new Error('smtp time-out')); }, 20000);
		s.on('data', (d) => {
			buf += d.toString();
			let i;
			while ((i = buf.indexOf('\r\n')) >= 0) {
				const l = buf.slice(0, i);
				buf = buf.slice(i + 2);
				lines.push(l);
				if (l[3] === '-')
					continue;
				if (step < script.length)
					s.write(script[step++] + '\r\n');
			}
		});
		s.on('close', () => { clearTimeout(timer); resolve(lines); });
		s.on('error', (e) => { clearTimeout(timer); reject(e); });
	});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
