// node security.mjs PORT USER PASSWORD EMAILID TRAPPORT
// WebUser security in a real browser (issue 13):
//  - a session id set before the login is not the one used after it;
//  - a stored message whose HTML has <script>, onerror=, javascript: links,
//    a remote image and other loaders, opened at /Message/<id>/html (top
//    level: no sandbox helps), runs nothing (no flag set, no dialog) and
//    loads nothing (the trap on 127.0.0.3 counts 0 hits); with ?images=1
//    the remote image does load (the trap works);
//  - a page of another site (the trap) that POSTs a logout form and a JMAP
//    call to WebUser does not end or use the session.
import { run, check } from './lib.mjs';

const [port, user, password, emailId, trapPort] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
const trap = `http://127.0.0.3:${trapPort}`;
const FIXED = '0123456789abcdef0123456789abcdef';

async function hits(page) {
	const r = await page.request.get(`${trap}/__count`);
	return parseInt(await r.text(), 10);
}

await run(async (ctx) => {
	const page = await ctx.newPage();
	let dialogs = 0;
	page.on('dialog', (d) => { dialogs++; d.dismiss().catch(() => {}); });

	// ---- session fixation ----
	await ctx.addCookies([{ name: 'TegamiUser', value: FIXED, domain: '127.0.0.1',
		path: '/', httpOnly: true, sameSite: 'Strict' }]);
	await page.goto(base + '/');
	await page.locator('input[name="username"]').fill(user);
	await page.locator('input[name="password"]').fill(password);
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }),
		page.locator('form button, form input[type="submit"]').first().click()]);
	const sid = (await ctx.cookies(base)).find((c) => c.name === 'TegamiUser');
	check(sid && /^[0-9a-f]{32}$/.test(sid.value) && sid.value !== FIXED,
	    `the login set a new session id (not the one set before: ${sid && sid.value})`);
	check(page.url().endsWith('/Mailboxes'), `logged in (${page.url()})`);
	const r0 = await page.request.get(base + '/Mailboxes', {
		headers: { Cookie: `TegamiUser=${FIXED}` }, maxRedirects: 0 });
	check(r0.status() === 303, `the fixed id opens nothing (${r0.status()})`);

	// ---- the hostile message ----
	const before = await hits(page);
	const resp = await page.goto(`${base}/Message/${encodeURIComponent(emailId)}/html`);
	check(resp.status() === 200, `/Message/<id>/html opens (${resp.status()})`);
	await page.waitForTimeout(1500);
	check((await page.locator('text=Hello reader').count()) >= 1,
	    'the message text is shown');
	check(await page.evaluate(() => window.pwned === undefined &&
	    window.parent.pwned === undefined), 'no script ran (window.pwned unset)');
	check(dialogs === 0, `no dialog opened (${dialogs})`);
	const active = await page.evaluate(() => {
		let n = 0;
		for (const el of document.querySelectorAll('*')) {
			for (const a of el.attributes)
				if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value))
					n++;
			if (/^(SCRIPT|IFRAME|OBJECT|EMBED|FORM|BASE|META|LINK|SVG)$/i.test(el.tagName) &&
			    !(el.tagName === 'META' && el.getAttribute('charset')) &&
			    !(el.tagName === 'META' && el.getAttribute('name') === 'referrer'))
				n++;
		}
		return n;
	});
	check(active === 0, `no handler, script URL or active element in the DOM (${active})`);
	// clicking the links the attacker wrote does nothing either
	for (const a of await page.locator('a').all()) {
		const href = await a.getAttribute('href');
		if (href === null)
			await a.click({ timeout: 2000 }).catch(() => {});
	}
	await page.waitForTimeout(500);
	check(await page.evaluate(() => window.pwned === undefined), 'no link ran a script');
	check(dialogs === 0, `still no dialog (${dialogs})`);
	const after = await hits(page);
	check(after === before, `nothing was loaded from the remote host (${after - before} hits)`);

	// ... and with images=1 the remote image does load: the trap counts
	await page.goto(`${base}/Message/${encodeURIComponent(emailId)}/html?images=1`);
	await page.waitForTimeout(1500);
	const shown = await hits(page);
	check(shown > after, `with images=1 the remote image loads (${shown - after} hits)`);
	check(await page.evaluate(() => window.pwned === undefined) && dialogs === 0,
	    'with images=1 still nothing runs');

	// ---- a forged cross-site POST ----
	const evil = await ctx.newPage();
	evil.on('dialog', (d) => d.dismiss().catch(() => {}));
	await evil.goto(`${trap}/evil.html?target=${encodeURIComponent(base)}`);
	await evil.waitForTimeout(2000);
	await evil.close();
	const r1 = await page.request.get(base + '/Mailboxes', { maxRedirects: 0 });
	check(r1.status() === 200, `the session survived the forged logout (${r1.status()})`);
	const posts = parseInt(await (await page.request.get(`${trap}/__posted`)).text(), 10);
	check(posts >= 2, `the attacker page did send its POSTs (${posts})`);
}, ['--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights']);
