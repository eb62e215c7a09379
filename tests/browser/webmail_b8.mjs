// node webmail_b8.mjs pink|login URL USER PASSWORD
// B8: "pink": URL's host is neither a domain nor a domain alias: the pink
// page saying we do not provide Web Access.  "login": (after the alias was
// added) the Login page of the domain opens there and the webmail starts.
import { run, check } from './lib.mjs';
import { HOSTS, wmLogin, watchErrors } from './webmail_lib.mjs';

const [phase, url, user, password] = process.argv.slice(2);

await run(async (ctx) => {
	const page = await ctx.newPage();
	if (phase === 'pink') {
		const r = await page.goto(url);
		check(r.status() === 404, `the unknown host answers 404 (${r.status()})`);
		const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		check(bg === 'rgb(255, 192, 203)', `the page is pink (${bg})`);
		check((await page.textContent('body')).includes('we do not provide Web Access to this domain'),
		    'it says we do not provide Web Access');
		check(await page.locator('input[type="password"]').count() === 0, 'no login form');
	} else {
		const errorsOk = watchErrors(page);
		await wmLogin(page, url, user, password);
		check((await page.textContent('header#top .who')).startsWith(user + '@'), 'logged in through the new alias');
		errorsOk();
	}
}, HOSTS);
