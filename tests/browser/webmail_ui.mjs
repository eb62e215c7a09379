// node webmail_ui.mjs URL USER PASSWORD NEWPASSWORD [SHOTS]
// The webmail's keyboard shortcuts and ? panel, sorting, threads, search,
// the phone-width layout (375 px, nothing sticks out sideways), the
// preferences (MessagesPerPage takes effect) and a password change followed
// by a login with the new password.  The Inbox holds "Msg 1" .. "Msg 7"
// (delivered in that order; "Msg 6" and "Msg 7" answer "Msg 5").
import { run, check, shot } from './lib.mjs';
import { HOSTS, wmLogin, watchErrors, openRole, waitRow } from './webmail_lib.mjs';

const [url, user, password, newPassword, shots] = process.argv.slice(2);

const subjects = (page) => page.locator('#list li .subject').allTextContents();
const overflow = (page) => page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);

await run(async (ctx) => {
	const page = await ctx.newPage();
	const errorsOk = watchErrors(page);
	await wmLogin(page, url, user, password);
	check(await waitRow(page, 'Msg 7'), 'the Inbox is listed');
	let s = await subjects(page);
	check(s[0] === 'Msg 7' && s.length === 7, `newest first: ${s.join(',')}`);

	// keyboard
	await page.keyboard.press('j');
	await page.waitForFunction(() => document.querySelector('#readpane h2.subject')?.textContent === 'Msg 6');
	check(await page.locator('#list li.sel .subject').textContent() === 'Msg 6', 'j selects and opens the next message');
	await page.frameLocator('#readpane iframe.message').locator('body').click();
	await page.keyboard.press('k');
	await page.waitForFunction(() => document.querySelector('#readpane h2.subject')?.textContent === 'Msg 7');
	check(true, 'k goes back to the previous one (with the focus in the message)');
	await page.keyboard.press('?');
	check(await page.locator('#help').isVisible(), '? shows the help panel');
	check((await page.textContent('#help')).includes('reply to all'), 'the panel lists the shortcuts');
	await page.keyboard.press('Escape');
	check(!(await page.locator('#help').isVisible()), 'Escape closes it');
	await page.keyboard.press('f');
	await page.waitForSelector('#compose #subject');
	check(await page.inputValue('#subject') === 'Fwd: Msg 7', 'f forwards');
	await page.click('#compose .close');
	await page.locator('#list li', { hasText: 'Msg 7' }).click();
	await page.waitForSelector('#readpane #delete');
	await page.keyboard.press('#');
	await page.waitForFunction(() => ![...document.querySelectorAll('#list li .subject')]
	    .some((e) => e.textContent === 'Msg 7'));
	check(true, '# deletes the message');
	await openRole(page, 'trash');
	check(await waitRow(page, 'Msg 7'), 'it is in Trash');
	await openRole(page, 'inbox');
	await waitRow(page, 'Msg 6');

	// flag, copy
	await page.locator('#list li', { hasText: 'Msg 4' }).click();
	await page.waitForSelector('#readpane h2.subject:has-text("Msg 4")');
	await page.keyboard.press('s');
	await page.waitForSelector('#list li.flagged:has-text("Msg 4")');
	check(await page.textContent('#flag') === 'Unflag', 's flags the message');
	await page.selectOption('#copy-to', { label: 'Trash' });
	await page.waitForFunction(() => document.querySelector('#wm-status').textContent === 'Copied to Trash');
	await openRole(page, 'trash');
	check(await waitRow(page, 'Msg 4'), 'Copy to puts a copy in Trash');
	check(await page.locator('#list li.flagged', { hasText: 'Msg 4' }).count() === 1, 'the copy keeps the flag');
	await openRole(page, 'inbox');
	await waitRow(page, 'Msg 6');
	check(await page.locator('#list li', { hasText: 'Msg 4' }).count() === 1, 'the original stays');

	// search, sort, threads
	await page.keyboard.press('/');
	check(await page.evaluate(() => document.activeElement.id) === 'search', '/ focuses the search');
	await page.keyboard.type('Msg 3');
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 1);
	check((await subjects(page))[0] === 'Msg 3', 'the search finds one message');
	await page.fill('#search', '');
	await page.press('#search', 'Enter');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 6);
	await page.selectOption('#sort', 'receivedAt:asc');
	await page.waitForFunction(() => document.querySelector('#list li .subject')?.textContent === 'Msg 1');
	check(true, 'sorting oldest first');
	await page.check('#threads');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 5);
	// the thread counts Msg 7 too, in Trash now (JMAP threads span mailboxes)
	const cnt = await page.locator('#list li', { hasText: 'Msg 5' }).locator('.count').textContent();
	check(cnt === ' (3)', `threads: Msg 5 and its replies make one line counting 3 (${cnt})`);
	await page.uncheck('#threads');
	await page.selectOption('#sort', 'receivedAt:desc');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 6);

	await page.locator('#list li', { hasText: 'Msg 5' }).click();
	await page.waitForSelector('#readpane h2.subject');
	await shot(page, shots, 'webmail-read');
	await page.keyboard.press('r');
	await page.waitForSelector('#compose #to');
	await shot(page, shots, 'webmail-compose');
	await page.click('#compose .close');

	// the HTML editor
	await page.keyboard.press('c');
	await page.waitForSelector('#compose #to');
	await page.fill('#to', 'bob@client1.test');
	await page.fill('#subject', 'Html mail');
	await page.check('#html-mode');
	check(await page.locator('#editor').isVisible() && await page.locator('.edbar').isVisible() &&
	    !(await page.locator('#text').isVisible()), 'HTML mode shows the editor and its buttons');
	await page.click('#editor');
	await page.keyboard.press('Control+Home');
	await page.keyboard.type('plain ');
	await page.click('.edbar button[data-cmd="bold"]');
	await page.keyboard.type('strong');
	await page.click('.edbar button[data-cmd="bold"]');
	await page.keyboard.press('Enter');
	await page.click('.edbar button[data-cmd="insertUnorderedList"]');
	await page.keyboard.type('item one');
	check(await page.locator('#editor b, #editor strong').count() === 1 &&
	    await page.locator('#editor ul li').count() === 1, 'Bold and List work in the editor');
	// a file dropped on the form is attached
	await page.evaluate(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(['dropped bytes\n'], 'dropped.txt', { type: 'text/plain' }));
		document.querySelector('#compose').dispatchEvent(new DragEvent('drop',
		    { dataTransfer: dt, bubbles: true, cancelable: true }));
	});
	await page.locator('#atts li:not(.uploading)', { hasText: 'dropped.txt' }).waitFor({ timeout: 30000 });
	check(true, 'a dropped file is uploaded');
	await page.click('#send');
	// the toast shows once the draft is saved; only then can it go
	await page.waitForSelector('#toast:not([hidden])', { timeout: 40000 });
	await page.waitForSelector('#toast', { state: 'hidden', timeout: 40000 });
	await page.waitForFunction(() => /sent/i.test(document.querySelector('#wm-status').textContent),
	    null, { timeout: 40000 });
	check(await page.textContent('#wm-status') === 'Message sent.', 'the HTML message is sent');

	// phone width
	await page.setViewportSize({ width: 375, height: 740 });
	check(await overflow(page) <= 0, `nothing overflows at 375 px (list; ${await overflow(page)})`);
	check(!(await page.locator('#side').isVisible()) && await page.locator('#list').isVisible(),
	    'at 375 px the list alone is shown');
	await page.locator('#list li', { hasText: 'Msg 2' }).click();
	await page.waitForSelector('#readpane h2.subject');
	check(await page.locator('#readpane').isVisible() && !(await page.locator('#list').isVisible()),
	    'opening a message shows it alone');
	check(await overflow(page) <= 0, 'nothing overflows at 375 px (message)');
	await page.click('#readpane .back');
	await page.click('#listpane .back');
	check(await page.locator('#side').isVisible(), 'the folder list opens');
	await page.keyboard.press('c');
	await page.waitForSelector('#compose #to');
	check(await overflow(page) <= 0, 'nothing overflows at 375 px (compose)');
	await page.click('#compose .close');
	await page.setViewportSize({ width: 1280, height: 900 });

	// preferences: messages per page
	await page.click('#prefs-btn');
	await page.waitForSelector('#p-mpp');
	check(await page.inputValue('#p-mpp') === '20', 'MessagesPerPage is 20 by default');
	await page.fill('#p-mpp', '4');
	await page.fill('#p-sig', 'Alice from the browser');
	await page.click('#p-save');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 4);
	check((await page.textContent('#range')).startsWith('1\u20134 of 6'), `4 per page: ${await page.textContent('#range')}`);
	await page.click('#next');
	await page.waitForFunction(() => document.querySelectorAll('#list li .subject').length === 2);
	check(true, 'the next page holds the other 2');
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	check((await subjects(page)).length === 4, 'the preference stays after a reload');
	await page.keyboard.press('c');
	await page.waitForSelector('#compose #text');
	check((await page.inputValue('#text')).includes('-- \nAlice from the browser'), 'the signature is in a new message');
	await page.click('#compose .close');

	// auto-reply (JMAP VacationResponse): off by default, set, kept
	await page.click('#prefs-btn');
	await page.waitForSelector('#autoreply:not([hidden])');
	check(!(await page.isChecked('#ar-on')), 'the auto-reply is off by default');
	await page.check('#ar-on');
	await page.fill('#ar-subject', 'Away from the browser');
	await page.fill('#ar-text', 'Back on Monday.');
	await page.fill('#ar-to', '2099-01-02T10:30');
	await page.click('#ar-save');
	await page.waitForFunction(() => document.querySelector('#wm-status').textContent === 'Auto-reply saved (on).');
	await page.fill('#ar-subject', 'x'.repeat(900));
	check(await page.inputValue('#ar-subject') === 'x'.repeat(900), 'the subject field takes 900 characters');
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	await page.click('#prefs-btn');
	await page.waitForSelector('#autoreply:not([hidden])');
	check(await page.isChecked('#ar-on'), 'the auto-reply stays on after a reload');
	check(await page.inputValue('#ar-subject') === 'Away from the browser', 'its subject is kept');
	check(await page.inputValue('#ar-text') === 'Back on Monday.', 'its text is kept');
	check(await page.inputValue('#ar-to') === '2099-01-02T10:30', `its end date is kept: ${await page.inputValue('#ar-to')}`);
	await page.click('#prefspane .close');

	// password
	await page.click('#prefs-btn');
	await page.fill('#pw-old', 'wrong-one');
	await page.fill('#pw-new', newPassword);
	await page.fill('#pw-new2', newPassword);
	await page.click('#pw-save');
	await page.waitForFunction(() => /old password is wrong/.test(document.querySelector('#wm-status').textContent));
	check(true, 'a wrong old password is refused');
	await page.fill('#pw-old', password);
	await page.click('#pw-save');
	await page.waitForFunction(() => document.querySelector('#wm-status').textContent === 'Password changed.');
	check(true, 'the password is changed');
	await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('header#top button[type="submit"]')]);
	await page.fill('input[name="username"]', user);
	await page.fill('input[name="password"]', password);
	await page.click('form button[type="submit"]');
	check(await page.locator('p.error').count() === 1, 'the old password no longer logs in');
	await wmLogin(page, url, user, newPassword);
	check(true, 'the new password logs in');
	errorsOk();
}, HOSTS);
