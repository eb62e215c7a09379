// node logs.mjs BASE USER PASSWORD SMTPPORT MAINDOMAIN BASEDIR
// Monitors -> Logs: the B14 line ("ROUTER failed to route
// 'LoginPage@<host>'") is found with the module and substring filters; a
// log level changed on Settings -> SMTP shows in the viewer: at Problems an
// SMTP client's EHLO is not logged, at All Info it is; the live tail shows
// a record written after the page was drawn, and goes on in the next day's
// file when one appears (the server's switch at midnight, made here by
// writing that file).
import fs from 'node:fs';
import path from 'node:path';
import { run, check, login, submit, smtp, sleep } from './lib.mjs';

const [base, user, password, smtpPort, mainDomain, baseDir] = process.argv.slice(2);

async function logText(page, q) {
	await page.goto(base + '/Monitors/Logs?' + new URLSearchParams(q));
	return await page.locator('#log').innerText();
}

await run(async (ctx) => {
	const page = await ctx.newPage();
	await login(page, base + '/', user, password);

	// B14: the login above came with the host 127.0.0.1?  The test's
	// request to host "mail" made the router fail; find it.
	const b14 = await logText(page, { module: 'ROUTER', filter: 'LoginPage@', level: '5' });
	check(/failed to route 'LoginPage@mail'/.test(b14),
	    `the B14 line is in the log viewer: ${b14.split('\n').slice(-3).join(' | ')}`);

	// Before: SMTP at Problems; an EHLO is not logged.
	await smtp('127.0.0.1', Number(smtpPort), 'before-level-change.test');
	await sleep(500);
	const before = await logText(page, { module: 'SMTP', filter: 'before-level-change', level: '5' });
	check(!before.includes('before-level-change'),
	    'at the default level the EHLO is not in the log');

	// Settings -> SMTP: LogLevel = All Info
	await page.goto(base + '/Settings/SMTP');
	await page.selectOption('select[name="LogLevel"]', '5');
	await submit(page, page, 'Update');
	check(await page.locator('.ok').count() === 1, 'SMTP settings updated');
	check(await page.locator('select[name="LogLevel"]').inputValue() === '5',
	    'the SMTP page shows LogLevel All Info');
	await smtp('127.0.0.1', Number(smtpPort), 'after-level-change.test');
	let after = '';
	for (let i = 0; i < 20 && !after.includes('after-level-change'); i++) {
		await sleep(300);
		after = await logText(page, { module: 'SMTP', filter: 'after-level-change', level: '5' });
	}
	check(after.includes('after-level-change'),
	    'at All Info the EHLO is in the log viewer');
	const cut = await logText(page, { module: 'SMTP', filter: 'after-level-change', level: '4' });
	check(!cut.includes('after-level-change'),
	    'the viewer\'s level cut-off (Low Level) hides the All Info records');

	// The live tail: a record written after the page shows up.
	await page.goto(base + '/Monitors/Logs?' + new URLSearchParams({ filter: 'tail-marker', level: '5' }));
	await page.check('#live-tail');
	await sleep(300);
	await smtp('127.0.0.1', Number(smtpPort), 'tail-marker.test');
	let tail = false;
	for (let i = 0; i < 40 && !tail; i++) {
		await sleep(250);
		tail = (await page.locator('#log').innerText()).includes('tail-marker.test');
	}
	check(tail, 'the live tail shows a record written after the page was drawn');

	// Midnight: a newer file appears; the tail goes on there.
	const logs = path.join(baseDir, 'SystemLogs');
	const newest = fs.readdirSync(logs).filter((n) => /^\d{4}-\d\d-\d\d.*\.log$/.test(n)).sort().pop();
	const d = new Date(newest.slice(0, 10) + 'T12:00:00Z');
	d.setUTCDate(d.getUTCDate() + 1);
	const next = d.toISOString().slice(0, 10) + '.log';
	fs.writeFileSync(path.join(logs, next),
	    '00:00:01.000 2 SYSTEM tail-marker after midnight\n');
	let follow = false;
	for (let i = 0; i < 40 && !follow; i++) {
		await sleep(250);
		follow = (await page.locator('#log').innerText()).includes('tail-marker after midnight');
	}
	check(follow, 'the live tail follows the switch to the next day\'s file');
	check((await page.locator('#log').innerText()).includes('continued in ' + next),
	    'the tail says where it continues');
});
