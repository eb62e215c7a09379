// node b4_host.mjs PORT USER PASSWORD SECONDARY MAINDOMAIN
// B4: the host name in the URL picks the WebAdmin: SECONDARY (a secondary
// domain, resolved to 127.0.0.1 by the browser's host rules) opens that
// domain's WebAdmin, /MainAdmin the server's whatever the host.
import { run, check, login } from './lib.mjs';

const [port, user, password, secondary, mainDomain] = process.argv.slice(2);

await run(async (ctx) => {
	const page = await ctx.newPage();
	const host = `http://${secondary}:${port}`;
	await login(page, host + '/', user, password);
	const t1 = await page.title();
	check(t1.includes(secondary) && !t1.includes(mainDomain),
	    `http://${secondary}/ opens the domain's WebAdmin (title "${t1}")`);
	await page.goto(host + '/MainAdmin/');
	if (await page.locator('input[type="password"]').count() > 0)
		await login(page, host + '/MainAdmin/', user, password);
	const t2 = await page.title();
	check(t2.includes(mainDomain),
	    `http://${secondary}/MainAdmin opens the server WebAdmin (title "${t2}")`);
	await page.goto(host + '/MainAdmin/Settings/General');
	check((await page.locator('#main-domain').count()) === 1,
	    '/MainAdmin/Settings/General is the server General page');
}, ['--host-resolver-rules=MAP *.test 127.0.0.1']);
