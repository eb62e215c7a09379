// node stats.mjs BASE USER PASSWORD SMTPPORT RCPT
// Monitors -> Statistics: the charts are drawn from the polled counters;
// after mail is sent over SMTP the chart of received messages moves.
import { run, check, login, smtp, sleep } from './lib.mjs';

const [base, user, password, smtpPort, rcpt] = process.argv.slice(2);

await run(async (ctx) => {
	const page = await ctx.newPage();
	await login(page, base + '/', user, password);
	await page.goto(base + '/Monitors/Statistics');
	await page.waitForSelector('.chart canvas', { timeout: 15000 });
	const names = await page.locator('.chart').evaluateAll(
	    (l) => l.map((e) => e.dataset.counter));
	check(names.length >= 4, `charts drawn: ${names.join(', ')}`);
	const recv = names.find((n) => /received/i.test(n));
	check(!!recv, 'a chart of received messages');
	if (!recv)
		return;
	const sel = `.chart[data-counter="${recv}"]`;
	await sleep(2500);
	const before = Number(await page.locator(sel).getAttribute('data-max'));
	for (let i = 0; i < 3; i++)
		await smtp('127.0.0.1', Number(smtpPort), 'stats.test',
		    { from: 'sender@stats.test', to: rcpt, subject: 'chart ' + i, body: 'x' });
	let after = before;
	for (let i = 0; i < 30 && after <= before; i++) {
		await sleep(500);
		after = Number(await page.locator(sel).getAttribute('data-max'));
	}
	check(after > before, `the ${recv} chart moved after sending mail (${before} -> ${after})`);
	const pixels = await page.locator(sel + ' canvas').evaluate((c) => {
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4)
			if (d[i + 2] > 150 && d[i] < 80) n++;	// the blue line
		return n;
	});
	check(pixels > 50, `the chart has a drawn line (${pixels} px)`);
});
