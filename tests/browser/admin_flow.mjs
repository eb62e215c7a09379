// node admin_flow.mjs BASE USER PASSWORD MAINDOMAIN [SHOTDIR]
// Logs in to the server WebAdmin, creates a domain, adds an alias in its
// [Aliases], creates an account with a password and sets a new one on the
// account's page, edits the Router Table and tests an address, sees a
// refused value's error text next to its field, and saves screenshots of the
// main pages at 1280 and 400 px.
import { run, check, login, submit, shot, sleep } from './lib.mjs';

const [base, user, password, mainDomain, shotDir] = process.argv.slice(2);

await run(async (ctx) => {
	const page = await ctx.newPage();
	await login(page, base + '/', user, password);
	check((await page.title()).includes(mainDomain),
	    `after login the title names ${mainDomain}: "${await page.title()}"`);
	check(await page.locator('input[type="password"]').count() === 0,
	    'the login form is gone after logging in');

	// Settings -> General
	await page.goto(base + '/Settings/General');
	check(/\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d [+-]\d{4}/.test(
	    await page.locator('#server-time').innerText()),
	    'General shows [Server Time] with a zone offset');
	check((await page.title()).includes(mainDomain), 'General title names the main domain');
	await shot(page, shotDir, 'general');

	// Users -> Domains: create client1.test
	await page.goto(base + '/Users/Domains');
	await page.fill('input[name="name"]', 'client1.test');
	await submit(page, page, 'Create Domain');
	check(await page.locator('#domains td.name', { hasText: 'client1.test' }).count() === 1,
	    'the new domain is listed');
	// a refused name: the server's text next to the field
	await page.fill('input[name="name"]', 'client1.test');
	await submit(page, page, 'Create Domain');
	const err = page.locator('input[name="name"] ~ .err, label:has(input[name="name"]) + .err');
	check(await err.count() === 1 && (await err.first().innerText()).length > 3,
	    'creating it twice shows the error next to the name field: ' +
	    (await err.count() ? await err.first().innerText() : 'none'));
	await page.goto(base + '/Users/Domains');
	await shot(page, shotDir, 'domains');

	// the domain's Settings: [Aliases] -> [Update]
	await page.locator('#domains tr', { hasText: 'client1.test' })
	    .locator('a', { hasText: 'Settings' }).click();
	await page.waitForLoadState('load');
	check((await page.locator('#domain-name').innerText()) === 'client1.test',
	    'the domain Settings page is client1.test');
	await page.locator('#aliases input[name="alias"]').first().fill('mail.client1.test');
	await submit(page, page.locator('form:has(#aliases)'), 'Update');
	check(await page.locator('.ok').count() === 1, 'aliases updated');
	check(await page.locator('#aliases input[name="alias"]').first().inputValue()
	    === 'mail.client1.test', 'the alias is in the [Aliases] table');
	await shot(page, shotDir, 'domain-settings');

	// Accounts: create user1 with a password
	await page.goto(base + '/Users/Accounts?d=client1.test');
	const create = page.locator('section', { hasText: 'Create Account' });
	await create.locator('input[name="name"]').fill('user1');
	await create.locator('input[name="password"]').fill('first-pass-1');
	await submit(page, create, 'Create Account');
	check(await page.locator('#accounts td.name', { hasText: 'user1' }).count() === 1,
	    'user1 is listed in the accounts');
	await shot(page, shotDir, 'accounts');
	await page.locator('#accounts a', { hasText: 'user1' }).click();
	await page.waitForLoadState('load');
	check((await page.locator('#account-name').innerText()) === 'user1@client1.test',
	    'the account page is user1@client1.test');
	const pw = page.locator('section', { hasText: 'Password' }).first();
	await pw.locator('input[name="password"]').fill('second-pass-2');
	await submit(page, pw, 'Update');
	check(await page.locator('.ok').count() === 1, 'password updated');
	await shot(page, shotDir, 'account');

	// Settings -> Router: add a line, then test an address
	await page.goto(base + '/Settings/Router');
	const ta = page.locator('#router-table');
	const old = await ta.inputValue();
	await ta.fill((old ? old.replace(/\n?$/, '\n') : '') +
	    '<info@client1.test> = user1@client1.test\n');
	await submit(page, page.locator('form:has(#router-table)'), 'Update');
	check((await page.locator('#router-table').inputValue())
	    .includes('<info@client1.test> = user1@client1.test'),
	    'the Router Table keeps the new line');
	await page.fill('input[name="test"]', 'info@client1.test');
	await submit(page, page.locator('form:has(input[name="test"])'), 'Test');
	const mail = await page.locator('#route-result .route-mail').innerText();
	check(/LOCAL/.test(mail) && /user1/.test(mail),
	    `info@client1.test routes to user1 for mail: ${mail}`);
	const access = await page.locator('#route-result .route-access').innerText();
	check(access.length > 0, `a route for access is shown: ${access}`);
	await shot(page, shotDir, 'router');
	// a bad table: refused, the text next to the editor, the table kept
	await ta.fill('<broken = \n');
	await submit(page, page.locator('form:has(#router-table)'), 'Update');
	check(await page.locator('#router-table ~ .err').count() === 1,
	    'a bad Router Table line shows the router\'s error next to the editor');

	for (const [p, name] of [['/Settings/Protection', 'protection'],
	    ['/Settings/SMTP', 'smtp'], ['/Monitors/Logs', 'logs'],
	    ['/Monitors/Queues', 'queues'], ['/Monitors/Statistics', 'statistics']]) {
		await page.goto(base + p);
		check((await page.title()).includes(mainDomain), `${p} title names the main domain`);
		if (name === 'statistics')	// a few polls drawn
			await sleep(7000);
		await shot(page, shotDir, name);
	}
});
