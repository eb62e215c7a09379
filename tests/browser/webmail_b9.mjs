// node webmail_b9.mjs URL SID:refused|accepted ...
// B9 in the browser: each session was opened by a login from 127.0.0.2; the
// browser (from 127.0.0.1) reuses its cookie.  "refused": Require Fixed
// Network Address is on for that account (at some level): the webmail does
// not open, the Login page says why.  "accepted": it is off: the webmail
// opens.
import { run, check } from './lib.mjs';
import { HOSTS } from './webmail_lib.mjs';

const [url, ...cases] = process.argv.slice(2);
const host = new URL(url).hostname;

await run(async (ctx) => {
	for (const c of cases) {
		const [sid, want] = c.split(':');
		await ctx.clearCookies();
		await ctx.addCookies([{ name: 'TegamiUser', value: sid, domain: host, path: '/',
			httpOnly: true, sameSite: 'Strict' }]);
		const page = await ctx.newPage();
		const r = await page.goto(new URL('/Mailboxes', url).href);
		if (want === 'refused') {
			check(r.status() === 403, `${sid.slice(0, 6)}: the reused session is refused (${r.status()})`);
			check((await page.textContent('body')).includes('may be used only from the network address'),
			    'the Login page says why');
			check(await page.locator('input[type="password"]').count() === 1, 'and asks to log in again');
		} else {
			await page.waitForSelector('body[data-ready="1"]', { timeout: 40000 });
			check(r.status() === 200 && await page.locator('#mboxes li[data-role="inbox"]').count() === 1,
			    `${sid.slice(0, 6)}: the reused session opens the webmail (option off)`);
		}
		await page.close();
	}
}, HOSTS);
