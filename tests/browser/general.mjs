// node general.mjs BASE USER PASSWORD OFFSET UNASSIGNED_IP
// B13: [Server Time] ends with the zone offset OFFSET ("-0800").
// B10: the local address UNASSIGNED_IP (no domain owns it) is drawn in red;
// [Refresh] re-reads the addresses.
import { run, check, login, submit } from './lib.mjs';

const [base, user, password, offset, ip] = process.argv.slice(2);

await run(async (ctx) => {
	const page = await ctx.newPage();
	await login(page, base + '/', user, password);
	await page.goto(base + '/Settings/General');
	const t = (await page.locator('#server-time').innerText()).trim();
	check(t.endsWith(' ' + offset), `[Server Time] "${t}" ends with ${offset}`);
	await submit(page, page, 'Refresh');
	check(await page.locator('.ok').count() === 1, '[Refresh] done');
	const row = page.locator('#local-ips tr', { has: page.locator('td.ip', { hasText: new RegExp('^' + ip.replace(/\./g, '\\.') + '$') }) });
	check(await row.count() === 1, `${ip} is listed`);
	if (await row.count() === 1) {
		const cls = await row.getAttribute('class');
		const color = await row.locator('td').first().evaluate(
		    (e) => getComputedStyle(e).color);
		check(cls === 'unassigned', `${ip} is marked unassigned (${cls})`);
		const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(color);
		check(m && Number(m[1]) > 150 && Number(m[2]) < 80 && Number(m[3]) < 80,
		    `${ip} is drawn in red (${color})`);
	}
	const other = page.locator('#local-ips tr.assigned td.ip', { hasText: /^127\.0\.0\.1$/ });
	check(await other.count() === 1, '127.0.0.1 is assigned (not red)');
});
