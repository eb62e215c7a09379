// node webmail_mail.mjs URL USER PASSWORD OTHER FILE
// The webmail in the browser (issue 13): log in at URL (a domain alias
// host); read the message delivered over SMTP (subject "From SMTP", body
// "smtp body text"); send a message to OTHER chosen by address completion
// (once undone, then sent); reply to the SMTP message with FILE attached;
// a draft survives a reload.  The Python side checks what arrived over IMAP.
import { run, check, sleep } from './lib.mjs';
import { HOSTS, wmLogin, watchErrors, openRole, waitRow } from './webmail_lib.mjs';

const [url, user, password, other, file] = process.argv.slice(2);

// The status line after a send: "Message sent." or the reason it was not.
async function sentOrWhy(page) {
	await page.waitForFunction(() => /sent/i.test(document.querySelector('#wm-status').textContent),
	    null, { timeout: 40000 });
	const t = await page.textContent('#wm-status');
	check(t === 'Message sent.', `the status says so: "${t}"`);
}

await run(async (ctx) => {
	const page = await ctx.newPage();
	const errorsOk = watchErrors(page);
	await wmLogin(page, url, user, password);
	check(await page.locator('#app').isVisible(), 'the webmail replaces the plain Mailboxes page');
	const inbox = page.locator('#mboxes li[data-role="inbox"]');
	check((await inbox.locator('.unread').textContent().catch(() => '')) === '2',
	    'the Inbox shows 2 unread messages');

	await page.waitForFunction(() => /of 10\.0 MB used/.test(document.querySelector('#quota').textContent))
	    .catch(async () => check(false, `the quota is shown: "${await page.textContent('#quota')}", ` +
		`status "${await page.textContent('#wm-status')}"`));
	check(true, 'the quota is shown: ' + await page.textContent('#quota'));

	// read
	check(await waitRow(page, 'From SMTP'), 'the SMTP message is listed');
	await page.locator('#list li', { hasText: 'From SMTP' }).click();
	await page.waitForSelector('#readpane h2.subject');
	check((await page.textContent('#readpane h2.subject')) === 'From SMTP', 'its subject is shown');
	check((await page.textContent('#readpane .h-from')).includes(other), 'its sender is shown');
	const frame = page.locator('#readpane iframe.message');
	// the frame comes after the headers (later under ASan): wait for it
	await page.waitForSelector('#readpane iframe.message', { timeout: 30000 })
	    .catch(() => {});
	check(await frame.count() === 1, 'the body is shown in a frame of /Message/<id>/html');
	check((await frame.getAttribute('sandbox')).split(' ').indexOf('allow-scripts') < 0,
	    'the message frame is sandboxed without scripts');
	const body = await page.frameLocator('#readpane iframe.message').locator('body').textContent();
	check(body.includes('smtp body text'), 'its body is shown');
	await page.waitForFunction(() => document.querySelector('#mboxes li[data-role="inbox"] .unread')?.textContent === '1');
	check(true, 'reading it lowers the unread count');
	check(await page.locator('#readpane .attachments a', { hasText: 'note.txt' }).count() === 1,
	    'its attachment is listed');
	const href = await page.locator('#readpane .attachments a').first().getAttribute('href');
	const att = await page.evaluate(async (h) => (await fetch(h)).text(), href);
	check(att.includes('attached words'), `the attachment downloads (${href})`);

	// an HTML message with a remote image and two attachments
	await page.locator('#list li', { hasText: 'HTML news' }).click();
	await page.waitForSelector('#readpane h2.subject:has-text("HTML news")');
	const fr = page.frameLocator('#readpane iframe.message');
	check(await fr.locator('b', { hasText: 'bold news' }).count() === 1, 'the HTML body is shown');
	check(await page.locator('#show-images').isVisible(), 'a "Show images" button for the remote image');
	check(!(await page.locator('#readpane iframe.message').getAttribute('src')).includes('images=1'),
	    'remote images are not loaded at first');
	await page.click('#show-images');
	await page.waitForSelector('#readpane iframe.message[src$="?images=1"]');
	check(await page.locator('#show-images').count() === 0, 'Show images loads them');
	const zip = await page.locator('#readpane a.zip').getAttribute('href');
	const magic = await page.evaluate(async (h) => {
		const b = new Uint8Array(await (await fetch(h)).arrayBuffer());
		return String.fromCharCode(b[0], b[1]);
	}, zip);
	check(magic === 'PK', `"All as zip" gives a zip (${zip})`);

	// compose with completion, undo, send
	await page.keyboard.press('c');
	await page.waitForSelector('#compose #to');
	await page.type('#to', other.slice(0, 3));
	const sugg = page.locator('#compose ul.suggest li', { hasText: other });
	await sugg.first().waitFor({ timeout: 15000 });
	check(true, 'address completion offers ' + other);
	await sugg.first().dispatchEvent('mousedown');
	check((await page.inputValue('#to')).includes(other), 'the completion fills To');
	await page.fill('#subject', 'Browser hello');
	await page.fill('#text', 'typed in the browser\n');
	await page.click('#send');
	await page.waitForSelector('#toast:not([hidden]) #undo');
	await page.click('#undo');
	await page.waitForSelector('#compose #to');
	check((await page.inputValue('#subject')) === 'Browser hello', 'Undo reopens the message');
	await page.click('#send');
	await page.waitForSelector('#toast:not([hidden])');
	await page.waitForSelector('#toast', { state: 'hidden', timeout: 40000 });
	await sentOrWhy(page);
	check(true, 'the message is sent after the undo delay');
	await openRole(page, 'sent');
	check(await waitRow(page, 'Browser hello'), 'it is in Sent');

	// reply with an attachment
	await openRole(page, 'inbox');
	await page.locator('#list li', { hasText: 'From SMTP' }).click();
	await page.waitForSelector('#reply');
	await page.keyboard.press('r');
	await page.waitForSelector('#compose #to');
	check((await page.inputValue('#subject')) === 'Re: From SMTP', 'the reply has "Re:"');
	check((await page.inputValue('#to')).includes(other), 'the reply goes to the sender');
	check((await page.inputValue('#text')).includes('> smtp body text'), 'the reply quotes the message');
	await page.setInputFiles('#file', file);
	await page.locator('#atts li:not(.uploading)', { hasText: 'attach-me.txt' }).waitFor({ timeout: 30000 });
	check(true, 'the attachment is uploaded');
	await page.click('#send');
	// the toast shows once the draft is saved; only then can it go
	await page.waitForSelector('#toast:not([hidden])', { timeout: 40000 });
	await page.waitForSelector('#toast', { state: 'hidden', timeout: 40000 });
	await sentOrWhy(page);

	// a draft survives a reload
	await page.keyboard.press('c');
	await page.waitForSelector('#compose #to');
	await page.fill('#to', other);
	await page.fill('#subject', 'Kept draft');
	await page.fill('#text', 'draft words that stay');
	await page.waitForFunction(() => document.querySelector('#draft-state').textContent === 'Draft saved',
	    null, { timeout: 30000 });
	check(true, 'the draft is saved by itself');
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	await openRole(page, 'drafts');
	check(await waitRow(page, 'Kept draft'), 'the draft is in Drafts after a reload');
	const rows = await page.locator('#list li .subject').allTextContents();
	check(rows.length === 1, `one draft only (each save replaces the last): ${rows.join(' | ')}`);
	await page.locator('#list li', { hasText: 'Kept draft' }).click();
	await page.waitForSelector('#compose #text');
	check((await page.inputValue('#text')).includes('draft words that stay'), 'the draft opens in the editor');
	errorsOk();
}, HOSTS);
