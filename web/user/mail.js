// SPDX-License-Identifier: Apache-2.0
// The WebUser webmail (docs/webuser.md): a single page on /Mailboxes that
// talks JMAP (/jmap/api, /jmap/upload) with the session cookie and the
// page's CSRF token, and the JSON endpoints /Prefs, /Password, /Addresses
// and /Quota.  Messages are shown in a sandboxed frame of the server's
// sanitised /Message/<id>/html.  No framework, no build step, no inline
// script (the page's Content-Security-Policy forbids them).
'use strict';

(function () {
const data = document.getElementById('wm-data');
if (!data)
	return;
const CSRF = data.dataset.csrf;
const ME = data.dataset.account;
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail',
	'urn:ietf:params:jmap:submission'];
const VAC_USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:vacationresponse'];
const UNDO_MS = 5000;		// undo send: the delay before EmailSubmission/set
const DRAFT_SAVE_MS = 2000;	// a draft is saved this long after the last change

const st = {
	acct: null, mailboxes: [], byRole: {}, mbox: null, position: 0,
	total: 0, ids: [], emails: {}, threads: {}, sel: -1, current: null,
	sort: 'receivedAt:desc', threadsOn: false, search: '', prefs: null,
	identity: null, messagePages: null,
};

// ---- small helpers ----
function $(sel, root) { return (root || document).querySelector(sel); }
function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === 'class')
			e.className = v;
		else if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (k === 'text')
			e.textContent = v;
		else if (k === 'style')
			e.style.cssText = v;	// CSSOM: allowed by the CSP
		else
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of kids.flat())
		if (c !== null && c !== undefined && c !== false)
			e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	return e;
}
function show(node, on) { node.hidden = !on; }
let statusTimer = null;
function status(msg, bad) {
	const s = $('#wm-status');
	s.textContent = msg || '';
	s.className = bad ? 'bad' : '';
	clearTimeout(statusTimer);
	if (!bad)	// news goes away by itself, errors stay
		statusTimer = setTimeout(() => { s.textContent = ''; }, 8000);
}
function fmtSize(n) {
	if (n < 1024) return n + ' B';
	if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
	if (n < 1024 * 1024 * 1024) return (n / 1048576).toFixed(1) + ' MB';
	return (n / 1073741824).toFixed(2) + ' GB';
}
function tz() {
	const z = st.prefs && st.prefs.effective.TimeZone;
	return z && z !== 'HostOS' ? z : undefined;
}
function fmtDate(iso, long) {
	if (!iso) return '';
	const d = new Date(iso);
	try {
		return new Intl.DateTimeFormat(undefined, { timeZone: tz(),
			dateStyle: long ? 'full' : 'short', timeStyle: 'short' }).format(d);
	} catch (e) {
		return d.toLocaleString();
	}
}
function addrText(list) {
	return (list || []).map((a) => a.name ? `${a.name} <${a.email}>` : a.email).join(', ');
}
function addrShort(list) {
	return (list || []).map((a) => a.name || a.email).join(', ');
}
// "A <a@x>, b@y" -> [{name, email}]
function parseAddrs(text) {
	const out = [];
	for (let part of text.split(/[,;]/)) {
		part = part.trim();
		if (!part) continue;
		const m = part.match(/^(.*)<([^>]+)>$/);
		if (m)
			out.push({ name: m[1].trim().replace(/^"|"$/g, '') || null, email: m[2].trim() });
		else
			out.push({ name: null, email: part });
	}
	return out;
}

async function http(method, url, body, type) {
	const h = { 'X-CSRF-Token': CSRF };
	if (type) h['Content-Type'] = type;
	const r = await fetch(url, { method, headers: h, body, credentials: 'same-origin' });
	if (r.status === 401 && url !== '/Password') {
		// the session has ended (time-out, logout elsewhere): the Login page
		status('The session has ended: log in again.', true);
		setTimeout(() => { window.location.assign('/'); }, 1500);
	} else if (r.status === 403 && url === '/jmap/api') {
		status('This session may not be used from here: log in again.', true);
	}
	return r;
}
async function getJSON(url) {
	const r = await http('GET', url);
	const j = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error(j.error || `${url}: ${r.status}`);
	return j;
}
async function postJSON(url, obj) {
	const r = await http('POST', url, JSON.stringify(obj), 'application/json');
	const j = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error(j.error || `${url}: ${r.status}`);
	return j;
}
// One JMAP request; the answers by call id; a method error throws.
async function jmap(calls, using = USING) {
	const r = await http('POST', '/jmap/api', JSON.stringify({ using,
		methodCalls: calls }), 'application/json');
	if (!r.ok) throw new Error(`JMAP: HTTP ${r.status} ${await r.text()}`);
	const j = await r.json();
	const out = {};
	for (const [name, args, id] of j.methodResponses) {
		if (name === 'error')
			throw new Error(`JMAP ${id}: ${args.type} ${args.description || ''}`);
		out[id] = args;
		if (name.endsWith('/set')) {
			for (const k of ['notCreated', 'notUpdated', 'notDestroyed'])
				if (args[k] && Object.keys(args[k]).length) {
					const e = Object.values(args[k])[0];
					throw new Error(`${name}: ${e.type} ${e.description || ''}`);
				}
		}
	}
	return out;
}

// ---- the page ----
function buildApp() {
	const app = $('#app');
	app.append(
		el('nav', { id: 'side' },
			el('button', { id: 'compose-btn', class: 'primary', onclick: () => compose() }, 'Compose'),
			el('ul', { id: 'mboxes' }),
			el('div', { id: 'quota' }),
			el('button', { id: 'prefs-btn', onclick: openPrefs }, 'Preferences'),
			el('button', { id: 'help-btn', onclick: () => toggleHelp() }, 'Shortcuts (?)')),
		el('section', { id: 'listpane' },
			el('div', { class: 'toolbar' },
				el('button', { class: 'back', onclick: () => setView('side') }, '\u2190 Folders'),
				el('input', { id: 'search', type: 'search', placeholder: 'Search (/)',
					'aria-label': 'Search' }),
				el('select', { id: 'sort', 'aria-label': 'Sort' },
					el('option', { value: 'receivedAt:desc' }, 'Newest first'),
					el('option', { value: 'receivedAt:asc' }, 'Oldest first'),
					el('option', { value: 'from:asc' }, 'By sender'),
					el('option', { value: 'subject:asc' }, 'By subject'),
					el('option', { value: 'size:desc' }, 'Largest first')),
				el('label', { class: 'threads' }, el('input', { id: 'threads', type: 'checkbox' }), 'Threads')),
			el('ul', { id: 'list', role: 'listbox' }),
			el('div', { class: 'pager' },
				el('button', { id: 'prev', onclick: () => page(-1) }, '\u2039 Newer'),
				el('span', { id: 'range' }),
				el('button', { id: 'next', onclick: () => page(1) }, 'Older \u203a'))),
		el('section', { id: 'readpane' }),
		el('section', { id: 'composepane', hidden: true }),
		el('section', { id: 'prefspane', hidden: true }),
		el('div', { id: 'help', hidden: true, role: 'dialog', 'aria-label': 'Keyboard shortcuts' }),
		el('div', { id: 'toast', hidden: true }),
		el('div', { id: 'wm-status', role: 'status' }));
	$('#search').addEventListener('keydown', (e) => {
		if (e.key === 'Enter') { st.search = e.target.value.trim(); st.position = 0; loadList(); }
		if (e.key === 'Escape') e.target.blur();
	});
	$('#sort').addEventListener('change', (e) => { st.sort = e.target.value; st.position = 0; loadList(); });
	$('#threads').addEventListener('change', (e) => { st.threadsOn = e.target.checked; st.position = 0; loadList(); });
	const help = $('#help');
	help.append(el('h2', {}, 'Keyboard shortcuts'), el('table', {},
		...[['j / k', 'next / previous message'], ['Enter', 'open the selected message'],
			['r', 'reply'], ['a', 'reply to all'], ['f', 'forward'], ['c', 'compose'],
			['#', 'delete'], ['s', 'flag / unflag'], ['u', 'mark unread'],
			['/', 'search'], ['?', 'this panel'], ['Esc', 'close']]
			.map(([k, w]) => el('tr', {}, el('th', {}, el('kbd', {}, k)), el('td', {}, w)))),
		el('button', { onclick: () => toggleHelp(false) }, 'Close'));
	document.addEventListener('keydown', onKey);
	$('#plain').hidden = true;
	app.hidden = false;
	setView('list');
}

// Phone width shows one pane at a time: side, list, read, compose, prefs.
function setView(v) {
	$('#app').dataset.view = v;
	show($('#composepane'), v === 'compose');
	show($('#prefspane'), v === 'prefs');
}

function toggleHelp(on) {
	const h = $('#help');
	h.hidden = on === undefined ? !h.hidden : !on;
}

// ---- mailboxes ----
async function loadMailboxes() {
	const r = await jmap([['Mailbox/get', { accountId: st.acct }, 'm']]);
	st.mailboxes = r.m.list;
	st.byRole = {};
	for (const m of st.mailboxes)
		if (m.role) st.byRole[m.role] = m;
	if (!st.mbox || !st.mailboxes.find((m) => m.id === st.mbox))
		st.mbox = (st.byRole.inbox || st.mailboxes[0] || {}).id;
	renderMailboxes();
}
function mboxPath(m) {
	const parts = [m.name];
	let p = m.parentId, guard = 0;
	while (p && guard++ < 50) {
		const q = st.mailboxes.find((x) => x.id === p);
		if (!q) break;
		parts.unshift(q.name);
		p = q.parentId;
	}
	return parts.join('/');
}
function renderMailboxes() {
	const ul = $('#mboxes');
	ul.textContent = '';
	const kids = (pid) => st.mailboxes.filter((m) => (m.parentId || null) === pid)
		.sort((a, b) => (a.role === 'inbox' ? -1 : b.role === 'inbox' ? 1 :
			(a.sortOrder || 0) - (b.sortOrder || 0) || a.name.localeCompare(b.name)));
	const add = (pid, depth) => {
		for (const m of kids(pid)) {
			const li = el('li', { class: m.id === st.mbox ? 'cur' : '',
				'data-id': m.id, 'data-role': m.role || '',
				style: `padding-left:${0.5 + depth}rem` },
				el('a', { href: '#', onclick: (e) => { e.preventDefault(); openMailbox(m.id); } },
					el('span', { class: 'name' }, m.name),
					m.unreadEmails ? el('span', { class: 'unread' }, m.unreadEmails) : null));
			ul.append(li);
			add(m.id, depth + 1);
		}
	};
	add(null, 0);
}
function openMailbox(id) {
	st.mbox = id;
	st.position = 0;
	st.search = '';
	$('#search').value = '';
	renderMailboxes();
	setView('list');
	loadList();
}
// The account's storage: JMAP Quota/get (RFC 9425) when the server has it,
// else /Quota.
async function quotaNow() {
	if (st.jmapQuota) {
		const r = await http('POST', '/jmap/api', JSON.stringify({
			using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:quota'],
			methodCalls: [['Quota/get', { accountId: st.acct }, 'q']] }), 'application/json');
		const j = r.ok ? await r.json() : null;
		const a = j && j.methodResponses[0][0] === 'Quota/get' ? j.methodResponses[0][1] : null;
		const q = a && a.list.find((x) => x.resourceType === 'octets');
		if (q) return { used: q.used, limit: q.hardLimit };
		if (a) return getJSON('/Quota');	// no limit: the usage from here
	}
	return getJSON('/Quota');
}
async function loadQuota() {
	try {
		const q = await quotaNow();
		$('#quota').textContent = q.limit ? `${fmtSize(q.used)} of ${fmtSize(q.limit)} used` :
			`${fmtSize(q.used)} used`;
		if (q.limit) {
			const bar = el('progress', { max: q.limit, value: q.used });
			$('#quota').append(bar);
		}
	} catch (e) {
		$('#quota').textContent = '';
		status('The quota cannot be read: ' + e.message, true);
	}
}

// ---- the message list ----
function perPage() {
	const n = parseInt(st.prefs && st.prefs.effective.MessagesPerPage, 10);
	return n > 0 ? n : 20;
}
async function loadList(keepSel) {
	if (!st.mbox) return;
	const [prop, dir] = st.sort.split(':');
	let filter = { inMailbox: st.mbox };
	if (st.search)
		filter = { operator: 'AND', conditions: [filter, { text: st.search }] };
	const limit = perPage();
	const r = await jmap([
		['Email/query', { accountId: st.acct, filter, sort: [{ property: prop,
			isAscending: dir === 'asc' }], collapseThreads: st.threadsOn,
			position: st.position, limit, calculateTotal: true }, 'q'],
		['Email/get', { accountId: st.acct, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' },
			properties: ['threadId', 'mailboxIds', 'keywords', 'from', 'to', 'subject',
				'receivedAt', 'size', 'preview', 'hasAttachment'] }, 'g']]);
	// the threads of the page, asked apart: Thread/get of no ids at all
	// upsets the server (an empty back-reference), so only when there are some
	const tids = [...new Set(r.g.list.map((e) => e.threadId).filter(Boolean))];
	r.t = tids.length ? (await jmap([['Thread/get', { accountId: st.acct, ids: tids }, 't']])).t :
		{ list: [] };
	st.ids = r.q.ids;
	st.total = r.q.total || 0;
	st.emails = {};
	for (const e of r.g.list) st.emails[e.id] = e;
	st.threads = {};
	for (const t of r.t.list) st.threads[t.id] = t.emailIds;
	if (!keepSel || st.sel >= st.ids.length) st.sel = st.ids.length ? 0 : -1;
	renderList();
}
function renderList() {
	const ul = $('#list');
	ul.textContent = '';
	const inDrafts = st.byRole.drafts && st.byRole.drafts.id === st.mbox;
	const inSent = st.byRole.sent && st.byRole.sent.id === st.mbox;
	st.ids.forEach((id, i) => {
		const e = st.emails[id];
		if (!e) return;
		const kw = e.keywords || {};
		const n = st.threadsOn && st.threads[e.threadId] ? st.threads[e.threadId].length : 1;
		const li = el('li', { class: [kw.$seen ? '' : 'unseen', i === st.sel ? 'sel' : '',
			kw.$flagged ? 'flagged' : ''].join(' ').trim(), 'data-id': id, role: 'option',
			onclick: () => { st.sel = i; renderSel(); openEmail(id); } },
			el('span', { class: 'from' }, (inDrafts || inSent ? 'To: ' + addrShort(e.to) :
				addrShort(e.from)) || '(nobody)', n > 1 ? el('span', { class: 'count' }, ` (${n})`) : null),
			el('span', { class: 'subject' }, e.subject || '(no subject)'),
			el('span', { class: 'date' }, fmtDate(e.receivedAt)),
			el('span', { class: 'icons' }, kw.$flagged ? '\u2691' : '', e.hasAttachment ? '\ud83d\udcce' : ''),
			el('span', { class: 'preview' }, e.preview || ''));
		ul.append(li);
	});
	if (!st.ids.length)
		ul.append(el('li', { class: 'empty' }, st.search ? 'Nothing found.' : 'No messages.'));
	const last = Math.min(st.position + st.ids.length, st.total);
	$('#range').textContent = st.total ? `${st.position + 1}\u2013${last} of ${st.total}` : '0 of 0';
	$('#prev').disabled = st.position === 0;
	$('#next').disabled = st.position + perPage() >= st.total;
}
function renderSel() {
	for (const li of document.querySelectorAll('#list li'))
		li.classList.toggle('sel', li.dataset.id === st.ids[st.sel]);
	const cur = $('#list li.sel');
	if (cur) cur.scrollIntoView({ block: 'nearest' });
}
function page(d) {
	const np = st.position + d * perPage();
	if (np < 0 || np >= st.total) return;
	st.position = np;
	loadList();
}
async function move(d) {
	if (st.sel + d >= 0 && st.sel + d < st.ids.length) {
		st.sel += d;
		renderSel();
		await openEmail(st.ids[st.sel]);
	} else if (d > 0 && st.position + perPage() < st.total) {
		st.position += perPage();
		await loadList();
		if (st.ids.length) await openEmail(st.ids[0]);
	}
}

// ---- reading ----
const READ_PROPS = ['threadId', 'mailboxIds', 'keywords', 'from', 'to', 'cc', 'bcc',
	'replyTo', 'subject', 'sentAt', 'receivedAt', 'messageId', 'inReplyTo',
	'references', 'attachments', 'textBody', 'htmlBody', 'bodyValues', 'blobId', 'size'];

async function fetchEmail(id) {
	const r = await jmap([['Email/get', { accountId: st.acct, ids: [id], properties: READ_PROPS,
		fetchTextBodyValues: true, fetchHTMLBodyValues: true, maxBodyValueBytes: 1000000 }, 'e']]);
	if (!r.e.list.length) throw new Error('the message is gone');
	return r.e.list[0];
}
// Whether the server renders messages (/Message/<id>/html); asked once.
async function messagePages(id) {
	if (st.messagePages !== null)
		return st.messagePages;
	const r = await fetch(`/Message/${encodeURIComponent(id)}/html`, { method: 'HEAD',
		credentials: 'same-origin' });
	st.messagePages = r.ok;
	return st.messagePages;
}
function partUrl(e, a) {
	if (st.messagePages && a.partId)
		return `/Message/${encodeURIComponent(e.id)}/part/${encodeURIComponent(a.partId)}`;
	return `/jmap/download/${encodeURIComponent(st.acct)}/${encodeURIComponent(a.blobId)}/` +
		`${encodeURIComponent(a.name || 'attachment')}?type=${encodeURIComponent(a.type || 'application/octet-stream')}`;
}
function bodyText(e) {
	const parts = e.textBody || [];
	return parts.map((p) => (e.bodyValues[p.partId] || {}).value || '').join('\n');
}

async function openEmail(id) {
	let e;
	try {
		e = await fetchEmail(id);
	} catch (err) {
		status(err.message, true);
		return;
	}
	if (e.keywords.$draft && st.byRole.drafts && e.mailboxIds[st.byRole.drafts.id]) {
		compose({ draft: e });
		return;
	}
	st.current = e;
	const wasSeen = e.keywords.$seen;
	e.keywords.$seen = true;	// opening it reads it
	renderRead(e);
	setView('read');
	if (!wasSeen) {
		await jmap([['Email/set', { accountId: st.acct, update: { [id]: { 'keywords/$seen': true } } }, 's']])
			.catch((err) => status(err.message, true));
		if (st.emails[id]) st.emails[id].keywords.$seen = true;
		renderList();
		loadMailboxes();
	}
}

async function renderRead(e, images) {
	const pane = $('#readpane');
	pane.textContent = '';
	const others = st.mailboxes.filter((m) => !e.mailboxIds[m.id]);
	const moveSel = el('select', { id: 'move-to', 'aria-label': 'Move to' },
		el('option', { value: '' }, 'Move to\u2026'),
		...others.map((m) => el('option', { value: m.id }, mboxPath(m))));
	const copySel = el('select', { id: 'copy-to', 'aria-label': 'Copy to' },
		el('option', { value: '' }, 'Copy to\u2026'),
		...others.map((m) => el('option', { value: m.id }, mboxPath(m))));
	moveSel.addEventListener('change', () => moveSel.value && moveEmail(e, moveSel.value));
	copySel.addEventListener('change', () => copySel.value && copyEmail(e, copySel.value));
	pane.append(
		el('div', { class: 'toolbar' },
			el('button', { class: 'back', onclick: () => setView('list') }, '\u2190 List'),
			el('button', { id: 'reply', onclick: () => reply(e, false) }, 'Reply'),
			el('button', { id: 'reply-all', onclick: () => reply(e, true) }, 'Reply all'),
			el('button', { id: 'forward', onclick: () => forward(e) }, 'Forward'),
			el('button', { id: 'delete', onclick: () => deleteEmail(e) }, 'Delete'),
			el('button', { id: 'flag', onclick: () => toggleKeyword(e, '$flagged') },
				e.keywords.$flagged ? 'Unflag' : 'Flag'),
			el('button', { id: 'unread', onclick: () => toggleKeyword(e, '$seen') },
				e.keywords.$seen ? 'Mark unread' : 'Mark read'),
			moveSel, copySel),
		el('h2', { class: 'subject' }, e.subject || '(no subject)'),
		el('dl', { class: 'headers' },
			el('dt', {}, 'From'), el('dd', { class: 'h-from' }, addrText(e.from)),
			el('dt', {}, 'To'), el('dd', { class: 'h-to' }, addrText(e.to)),
			e.cc && e.cc.length ? [el('dt', {}, 'Cc'), el('dd', {}, addrText(e.cc))] : null,
			el('dt', {}, 'Date'), el('dd', {}, fmtDate(e.sentAt || e.receivedAt, true))));
	const body = el('div', { class: 'body' });
	pane.append(body);
	if (await messagePages(e.id)) {
		const src = `/Message/${encodeURIComponent(e.id)}/html${images ? '?images=1' : ''}`;
		if (!images) {
			const r = await fetch(src, { method: 'HEAD', credentials: 'same-origin' });
			const n = parseInt(r.headers.get('X-Blocked-Images') || '0', 10);
			if (n > 0)
				body.append(el('p', { class: 'blocked' }, `${n} remote image(s) held back. `,
					el('button', { id: 'show-images', onclick: () => renderRead(e, true) }, 'Show images')));
		}
		const f = el('iframe', { class: 'message', title: 'Message',
			sandbox: 'allow-same-origin allow-popups allow-popups-to-escape-sandbox', src });
		// the shortcuts work with the focus in the message too (our
		// listener on its same-origin document; the frame runs no script)
		f.addEventListener('load', () => {
			try { f.contentDocument.addEventListener('keydown', onKey); } catch (e) { /* none */ }
		});
		body.append(f);
	} else {
		// the server does not render messages: the text part, as text
		body.append(el('pre', { class: 'text' }, bodyText(e) || '(no text part)'));
	}
	const atts = (e.attachments || []).filter((a) => a.disposition !== 'inline' || a.name);
	if (atts.length) {
		pane.append(el('div', { class: 'attachments' }, el('h3', {}, 'Attachments'),
			el('ul', {}, ...atts.map((a) => el('li', {}, el('a', { href: partUrl(e, a),
				download: a.name || 'attachment' }, a.name || '(unnamed)'),
				` ${a.type || ''} ${fmtSize(a.size || 0)}`))),
			st.messagePages && atts.length > 1 ? el('a', { class: 'zip',
				href: `/Message/${encodeURIComponent(e.id)}/attachments.zip` }, 'All as zip') : null));
	}
	const tids = st.threads[e.threadId];
	if (tids && tids.length > 1) {
		const r = await jmap([['Email/get', { accountId: st.acct, ids: tids,
			properties: ['from', 'subject', 'receivedAt'] }, 't']]).catch(() => null);
		if (r)
			pane.append(el('div', { class: 'thread' }, el('h3', {}, 'Thread'), el('ol', {},
				...r.t.list.map((x) => el('li', { class: x.id === e.id ? 'cur' : '' },
					el('a', { href: '#', onclick: (ev) => { ev.preventDefault(); openEmail(x.id); } },
						`${addrShort(x.from)} \u2014 ${fmtDate(x.receivedAt)}`))))));
	}
}

async function toggleKeyword(e, kw) {
	const on = !e.keywords[kw];
	try {
		await jmap([['Email/set', { accountId: st.acct, update: { [e.id]: { [`keywords/${kw}`]: on || null } } }, 's']]);
	} catch (err) { status(err.message, true); return; }
	if (on) e.keywords[kw] = true; else delete e.keywords[kw];
	await loadList(true);
	loadMailboxes();
	renderRead(e);
}
async function moveEmail(e, to) {
	try {
		await jmap([['Email/set', { accountId: st.acct, update: { [e.id]: { mailboxIds: { [to]: true } } } }, 's']]);
	} catch (err) { status(err.message, true); return; }
	status('Moved to ' + mboxPath(st.mailboxes.find((m) => m.id === to)));
	afterRemove();
}
async function copyEmail(e, to) {
	try {
		await jmap([['Email/import', { accountId: st.acct, emails: { c: { blobId: e.blobId,
			mailboxIds: { [to]: true }, keywords: e.keywords, receivedAt: e.receivedAt } } }, 'i']]);
		const m = st.mailboxes.find((x) => x.id === to);
		status('Copied to ' + mboxPath(m));
		loadMailboxes();
		renderRead(e);
	} catch (err) { status(err.message, true); }
}
async function deleteEmail(e) {
	try {
		// to Trash (made when missing); deleted for good from Trash
		const trash = await ensureMailbox('trash', 'Trash');
		if (!e.mailboxIds[trash])
			await jmap([['Email/set', { accountId: st.acct, update: { [e.id]: { mailboxIds: { [trash]: true } } } }, 's']]);
		else
			await jmap([['Email/set', { accountId: st.acct, destroy: [e.id] }, 's']]);
	} catch (err) { status(err.message, true); return; }
	status('Deleted.');
	afterRemove();
}
async function afterRemove() {
	st.current = null;
	const sel = st.sel;
	await loadList(true);
	loadMailboxes();
	$('#readpane').textContent = '';
	if (st.ids.length) {
		st.sel = Math.min(sel, st.ids.length - 1);
		renderSel();
		openEmail(st.ids[st.sel]);
	} else
		setView('list');
}

// ---- compose ----
let cmp = null;		// the message being composed

function quote(e) {
	const who = addrText(e.from);
	return `\n\nOn ${fmtDate(e.sentAt || e.receivedAt, true)}, ${who} wrote:\n` +
		bodyText(e).replace(/\s+$/, '').split('\n').map((l) => '> ' + l).join('\n');
}
function sig() {
	const s = st.prefs && st.prefs.effective.Signature;
	return s ? `\n\n-- \n${s}` : '';
}
function prefix(p, s) {
	s = s || '';
	return s.toLowerCase().startsWith(p.toLowerCase()) ? s : `${p} ${s}`;
}
function reply(e, all) {
	if (!e) return;
	const mine = (a) => a.email.toLowerCase() === ME.toLowerCase();
	let to = e.replyTo && e.replyTo.length ? e.replyTo : e.from || [];
	let cc = [];
	if (all) {
		to = to.concat((e.to || []).filter((a) => !mine(a)));
		cc = (e.cc || []).filter((a) => !mine(a));
	}
	compose({ to: addrText(to), cc: addrText(cc), subject: prefix('Re:', e.subject),
		text: sig() + quote(e), inReplyTo: e.messageId,
		references: (e.references || []).concat(e.messageId || []) });
}
function forward(e) {
	if (!e) return;
	const head = `\n\n-------- Forwarded message --------\nFrom: ${addrText(e.from)}\n` +
		`Date: ${fmtDate(e.sentAt || e.receivedAt, true)}\nSubject: ${e.subject || ''}\n` +
		`To: ${addrText(e.to)}\n\n`;
	compose({ subject: prefix('Fwd:', e.subject), text: sig() + head + bodyText(e),
		attachments: (e.attachments || []).map((a) => ({ blobId: a.blobId, type: a.type,
			name: a.name, size: a.size })) });
}

function compose(o) {
	o = o || {};
	const d = o.draft;
	cmp = {
		draftId: d ? d.id : null, html: false, attachments: o.attachments || [], uploading: 0,
		inReplyTo: o.inReplyTo || (d && d.inReplyTo) || null,
		references: o.references || (d && d.references) || null, timer: null, saving: null,
		dirty: false,
	};
	let text = o.text !== undefined ? o.text : sig();
	let html = null;
	if (d) {
		text = bodyText(d);
		const hp = (d.htmlBody || []).find((p) => p.type === 'text/html');
		if (hp && d.bodyValues[hp.partId]) { html = d.bodyValues[hp.partId].value; cmp.html = true; }
		cmp.attachments = (d.attachments || []).map((a) => ({ blobId: a.blobId, type: a.type,
			name: a.name, size: a.size }));
	}
	const pane = $('#composepane');
	pane.textContent = '';
	const field = (id, label, value) => el('label', { class: 'field' }, el('span', {}, label),
		el('input', { id, value: value || '', autocomplete: 'off', spellcheck: 'false' }));
	const tool = (cmd, label, title) => el('button', { type: 'button', title, 'data-cmd': cmd,
		onmousedown: (ev) => ev.preventDefault(), onclick: () => editCmd(cmd) }, label);
	pane.append(el('form', { id: 'compose', onsubmit: (ev) => { ev.preventDefault(); send(); } },
		el('div', { class: 'toolbar' },
			el('button', { type: 'button', class: 'close', onclick: closeCompose }, '\u2190 Close'),
			el('button', { type: 'submit', id: 'send', class: 'primary' }, 'Send'),
			el('button', { type: 'button', id: 'save-draft', onclick: () => saveDraft() }, 'Save draft'),
			el('label', { class: 'mode' }, el('input', { type: 'checkbox', id: 'html-mode' }), 'HTML'),
			el('span', { id: 'draft-state' })),
		field('to', 'To', o.to || (d && addrText(d.to))),
		field('cc', 'Cc', o.cc || (d && addrText(d.cc))),
		field('bcc', 'Bcc', d && addrText(d.bcc)),
		field('subject', 'Subject', o.subject || (d && d.subject)),
		el('div', { class: 'edbar', hidden: true },
			tool('bold', 'B', 'Bold'), tool('italic', 'I', 'Italic'),
			tool('insertUnorderedList', '\u2022 List', 'List'), tool('createLink', 'Link', 'Link')),
		el('textarea', { id: 'text', rows: 16 }),
		el('div', { id: 'editor', contenteditable: 'true', hidden: true, role: 'textbox',
			'aria-multiline': 'true' }),
		el('div', { id: 'drop', class: 'drop' }, 'Drop files here or ',
			el('label', { class: 'file' }, 'choose files',
				el('input', { type: 'file', id: 'file', multiple: true })),
			el('ul', { id: 'atts' }))));
	$('#text').value = text;
	if (cmp.html) {
		$('#editor').innerHTML = html;
		$('#html-mode').checked = true;
		setMode(true);
	}
	for (const id of ['to', 'cc', 'bcc']) completion($('#' + id));
	$('#html-mode').addEventListener('change', (ev) => setMode(ev.target.checked));
	const form = $('#compose');
	form.addEventListener('input', changed);
	$('#file').addEventListener('change', (ev) => { upload([...ev.target.files]); ev.target.value = ''; });
	const drop = $('#drop');
	for (const t of [form]) {
		t.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
		t.addEventListener('dragleave', () => drop.classList.remove('over'));
		t.addEventListener('drop', (ev) => {
			ev.preventDefault();
			drop.classList.remove('over');
			if (ev.dataTransfer && ev.dataTransfer.files.length) upload([...ev.dataTransfer.files]);
		});
	}
	renderAtts();
	setView('compose');
	($('#to').value ? $('#text') : $('#to')).focus();
	if (cmp.html) $('#editor').focus();
	if ($('#text') === document.activeElement) $('#text').setSelectionRange(0, 0);
}

function setMode(html) {
	const ta = $('#text'), ed = $('#editor');
	if (html && !cmp.html) {
		// text to HTML: escape, keep the lines
		const div = document.createElement('div');
		div.textContent = ta.value;
		ed.innerHTML = div.innerHTML.replace(/\n/g, '<br>');
	} else if (!html && cmp.html) {
		ta.value = ed.innerText;
	}
	cmp.html = html;
	show(ta, !html);
	show(ed, html);
	show($('.edbar'), html);
	changed();
}
function editCmd(cmd) {
	$('#editor').focus();
	if (cmd === 'createLink') {
		const url = prompt('Link address (https://...)');
		if (!url || !/^(https?:|mailto:)/i.test(url)) return;
		document.execCommand('createLink', false, url);
	} else
		document.execCommand(cmd, false, null);
	changed();
}

function changed() {
	const c = cmp;
	if (!c || c.closed) return;
	c.dirty = true;
	clearTimeout(c.timer);
	c.timer = setTimeout(() => { if (!c.closed) saveDraft(c); }, DRAFT_SAVE_MS);
	$('#draft-state').textContent = '';
}

// The Email/set create object of the message being composed.
function draftObject(keywords, mailbox) {
	const text = cmp.html ? $('#editor').innerText : $('#text').value;
	const e = {
		mailboxIds: { [mailbox]: true }, keywords,
		from: [{ name: (st.identity && st.identity.name) || null, email: ME }],
		to: parseAddrs($('#to').value), cc: parseAddrs($('#cc').value),
		bcc: parseAddrs($('#bcc').value), subject: $('#subject').value,
		textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: text } },
	};
	if (cmp.html) {
		e.htmlBody = [{ partId: 'h', type: 'text/html' }];
		e.bodyValues.h = { value: $('#editor').innerHTML };
	}
	if (cmp.inReplyTo) e.inReplyTo = cmp.inReplyTo;
	if (cmp.references && cmp.references.length) e.references = cmp.references;
	if (cmp.attachments.length)
		e.attachments = cmp.attachments.map((a) => ({ blobId: a.blobId, type: a.type,
			name: a.name, disposition: 'attachment' }));
	for (const k of ['to', 'cc', 'bcc']) if (!e[k].length) delete e[k];
	return e;
}
async function ensureMailbox(role, name) {
	if (st.byRole[role]) return st.byRole[role].id;
	const r = await jmap([['Mailbox/set', { accountId: st.acct, create: { n: { name, role } } }, 'm']]);
	await loadMailboxes();
	return st.byRole[role] ? st.byRole[role].id : r.m.created.n.id;
}
// Saves the draft (Email/set in Drafts with $draft), destroying the
// previous one in the same request.  Serialised: one save at a time.
async function saveDraft(c) {
	c = c || cmp;
	if (!c) return null;
	clearTimeout(c.timer);
	while (c.saving) await c.saving;
	if (!c.dirty && c.draftId) return c.draftId;
	c.dirty = false;
	c.saving = (async () => {
		const drafts = await ensureMailbox('drafts', 'Drafts');
		const set = { accountId: st.acct, create: { d: draftObject({ $draft: true, $seen: true }, drafts) } };
		if (c.draftId) set.destroy = [c.draftId];
		const r = await jmap([['Email/set', set, 's']]);
		c.draftId = r.s.created.d.id;
		if (cmp === c) $('#draft-state').textContent = 'Draft saved';
	})();
	try {
		await c.saving;
	} catch (err) {
		c.dirty = true;
		status('The draft was not saved: ' + err.message, true);
	} finally {
		c.saving = null;
	}
	return c.draftId;
}
async function closeCompose() {
	const c = cmp;
	if (c && c.dirty) await saveDraft(c);
	if (c) c.closed = true;
	cmp = null;
	$('#composepane').textContent = '';
	setView('list');
	loadList(true);
	loadMailboxes();
}

// Send: the draft is saved, then EmailSubmission/set runs after UNDO_MS
// unless Undo is pressed (then the draft opens again).
async function send() {
	const to = parseAddrs($('#to').value).concat(parseAddrs($('#cc').value), parseAddrs($('#bcc').value));
	if (!to.length) { status('Give at least one recipient.', true); $('#to').focus(); return; }
	if (cmp.uploading) { status('Wait until the attachments are uploaded.', true); return; }
	const c = cmp;
	c.dirty = true;
	c.closed = true;	// no more automatic saves of this one
	const id = await saveDraft(c);
	if (!id || c.dirty) { c.closed = false; return; }	// not saved: stays open
	cmp = null;
	$('#composepane').textContent = '';
	setView('list');
	const toast = $('#toast');
	toast.textContent = '';
	let undone = false;
	const timer = setTimeout(async () => {
		if (undone) return;
		status('Sending\u2026');	// until the server answers
		toast.hidden = true;
		try {
			const sent = await ensureMailbox('sent', 'Sent');
			await jmap([['EmailSubmission/set', { accountId: st.acct,
				create: { s: { emailId: id, identityId: st.identity ? st.identity.id : 'I1' } },
				onSuccessUpdateEmail: { '#s': { mailboxIds: { [sent]: true }, 'keywords/$draft': null } } }, 'x']]);
			status('Message sent.');
		} catch (err) {
			status('Not sent: ' + err.message + ' (it is in Drafts)', true);
		}
		loadList(true);
		loadMailboxes();
		loadQuota();
	}, UNDO_MS);
	toast.append(el('span', {}, 'Sending\u2026 '), el('button', { id: 'undo', onclick: async () => {
		undone = true;
		clearTimeout(timer);
		toast.hidden = true;
		status('Sending undone.');
		try {
			compose({ draft: await fetchEmail(c.draftId) });
		} catch (err) { status(err.message, true); }
	} }, 'Undo'));
	toast.hidden = false;
}

async function upload(files) {
	const c = cmp;
	for (const f of files) {
		c.uploading = (c.uploading || 0) + 1;
		const li = el('li', { class: 'uploading' }, `${f.name} (uploading\u2026)`);
		$('#atts').append(li);
		try {
			const r = await http('POST', `/jmap/upload/${encodeURIComponent(st.acct)}/`, f,
				f.type || 'application/octet-stream');
			if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
			const j = await r.json();
			c.attachments.push({ blobId: j.blobId, type: j.type || f.type, name: f.name, size: j.size });
		} catch (err) {
			status(`${f.name} was not uploaded: ${err.message}`, true);
		}
		c.uploading--;
		if (cmp !== c) return;
		li.remove();
		renderAtts();
		changed();
	}
}
function renderAtts() {
	const ul = $('#atts');
	for (const li of [...ul.querySelectorAll('li:not(.uploading)')]) li.remove();
	cmp.attachments.forEach((a, i) => ul.append(el('li', {}, `${a.name || 'attachment'} (${fmtSize(a.size || 0)}) `,
		el('button', { type: 'button', title: 'Remove', onclick: () => {
			cmp.attachments.splice(i, 1); renderAtts(); changed();
		} }, '\u00d7'))));
}

// Address completion: the text after the last comma, from /Addresses.
function completion(input) {
	const box = el('ul', { class: 'suggest', hidden: true, role: 'listbox' });
	input.parentNode.append(box);
	let seq = 0, items = [], at = -1;
	const pick = (a) => {
		const parts = input.value.split(',');
		parts[parts.length - 1] = ' ' + (a.name ? `${a.name} <${a.email}>` : a.email);
		input.value = parts.join(',').replace(/^ /, '') + ', ';
		box.hidden = true;
		input.focus();
		changed();
	};
	const render = () => {
		box.textContent = '';
		items.forEach((a, i) => box.append(el('li', { class: i === at ? 'sel' : '', role: 'option',
			onmousedown: (ev) => { ev.preventDefault(); pick(a); } },
			a.name ? `${a.name} <${a.email}>` : a.email)));
		box.hidden = !items.length;
	};
	input.addEventListener('input', async () => {
		const q = input.value.split(',').pop().trim();
		if (q.length < 1) { items = []; render(); return; }
		const my = ++seq;
		try {
			const r = await getJSON('/Addresses?q=' + encodeURIComponent(q));
			if (my !== seq) return;
			items = r.slice(0, 10);
			at = -1;
			render();
		} catch (e) { items = []; render(); }
	});
	input.addEventListener('keydown', (ev) => {
		if (box.hidden) return;
		if (ev.key === 'ArrowDown') { at = Math.min(at + 1, items.length - 1); render(); ev.preventDefault(); }
		else if (ev.key === 'ArrowUp') { at = Math.max(at - 1, 0); render(); ev.preventDefault(); }
		else if (ev.key === 'Enter' && at >= 0) { pick(items[at]); ev.preventDefault(); }
		else if (ev.key === 'Escape') { box.hidden = true; }
	});
	input.addEventListener('blur', () => setTimeout(() => { box.hidden = true; }, 100));
}

// ---- preferences ----
async function loadPrefs() {
	st.prefs = await getJSON('/Prefs');
}
function openPrefs() {
	const p = st.prefs;
	const e = p.effective, own = p.account;
	const pane = $('#prefspane');
	pane.textContent = '';
	let zones = [];
	try { zones = Intl.supportedValuesOf('timeZone'); } catch (x) { zones = []; }
	const mins = own.SessionTimeout ? Math.round(own.SessionTimeout / 60) : '';
	pane.append(el('form', { id: 'prefs', onsubmit: savePrefs },
		el('div', { class: 'toolbar' },
			el('button', { type: 'button', class: 'close', onclick: () => setView('list') }, '\u2190 Close'),
			el('h2', {}, 'Preferences')),
		el('label', { class: 'field' }, el('span', {}, 'Time zone'),
			el('input', { id: 'p-tz', list: 'zones', value: e.TimeZone })),
		el('datalist', { id: 'zones' }, el('option', { value: 'HostOS' }), ...zones.map((z) => el('option', { value: z }))),
		el('label', { class: 'field' }, el('span', {}, 'Messages per page'),
			el('input', { id: 'p-mpp', type: 'number', min: 1, max: 200, value: e.MessagesPerPage })),
		el('label', { class: 'field' }, el('span', {}, 'Signature'),
			el('textarea', { id: 'p-sig', rows: 4 })),
		el('label', { class: 'check' }, el('input', { id: 'p-fixed', type: 'checkbox',
			checked: e.RequireFixedNetworkAddress === 'YES' }),
			'Require Fixed Network Address (a session works only from the address it logged in from)'),
		el('label', { class: 'field' }, el('span', {}, `Session time-out, minutes (empty: the server's ${Math.round(p.serverSessionTimeout / 60)})`),
			el('input', { id: 'p-timeout', type: 'number', min: 1, max: 10080, value: mins })),
		el('div', { class: 'toolbar' }, el('button', { type: 'submit', id: 'p-save', class: 'primary' }, 'Save'))),
	el('form', { id: 'password', onsubmit: changePassword },
		el('h2', {}, 'Password'),
		el('label', { class: 'field' }, el('span', {}, 'Current password'),
			el('input', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true })),
		el('label', { class: 'field' }, el('span', {}, 'New password'),
			el('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true })),
		el('label', { class: 'field' }, el('span', {}, 'New password again'),
			el('input', { id: 'pw-new2', type: 'password', autocomplete: 'new-password', required: true })),
		el('div', { class: 'toolbar' }, el('button', { type: 'submit', id: 'pw-save' }, 'Change the password'))),
	el('form', { id: 'autoreply', onsubmit: saveAutoReply, hidden: true },
		el('h2', {}, 'Auto-Reply'),
		el('label', { class: 'check' }, el('input', { id: 'ar-on', type: 'checkbox' }),
			'Answer the messages I receive with this text (once a week per sender; not lists, not automatic mail)'),
		el('label', { class: 'field' }, el('span', {}, 'From (empty: now)'),
			el('input', { id: 'ar-from', type: 'datetime-local' })),
		el('label', { class: 'field' }, el('span', {}, 'Until (empty: until turned off)'),
			el('input', { id: 'ar-to', type: 'datetime-local' })),
		el('label', { class: 'field' }, el('span', {}, 'Subject (empty: \u201cAuto:\u201d and the message\u2019s)'),
			el('input', { id: 'ar-subject', maxlength: 900 })),
		el('label', { class: 'field' }, el('span', {}, 'Text'),
			el('textarea', { id: 'ar-text', rows: 5 })),
		el('div', { class: 'toolbar' }, el('button', { type: 'submit', id: 'ar-save' }, 'Save the auto-reply'))));
	$('#p-sig').value = e.Signature || '';
	setView('prefs');
	loadAutoReply();
}

// ---- auto-reply: JMAP VacationResponse (RFC 8621 8) ----
// UTCDate <-> the local time of a datetime-local input.
function localInput(utc) {
	if (!utc) return '';
	const d = new Date(utc), p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
function utcDate(local) {
	return local ? new Date(local).toISOString().replace(/\.\d+Z$/, 'Z') : null;
}
async function loadAutoReply() {
	try {
		const r = await jmap([['VacationResponse/get', { accountId: st.acct, ids: ['singleton'] }, 'v']], VAC_USING);
		const v = r.v.list[0];
		$('#ar-on').checked = v.isEnabled;
		$('#ar-from').value = localInput(v.fromDate);
		$('#ar-to').value = localInput(v.toDate);
		$('#ar-subject').value = v.subject || '';
		$('#ar-text').value = v.textBody || '';
		$('#autoreply').hidden = false;
	} catch (err) {
		status(`Auto-reply: ${err.message}`, true);
	}
}
async function saveAutoReply(ev) {
	ev.preventDefault();
	try {
		await jmap([['VacationResponse/set', { accountId: st.acct, update: { singleton: {
			isEnabled: $('#ar-on').checked,
			fromDate: utcDate($('#ar-from').value),
			toDate: utcDate($('#ar-to').value),
			subject: $('#ar-subject').value.trim() || null,
			textBody: $('#ar-text').value || null,
		} } }, 'v']], VAC_USING);
		status($('#ar-on').checked ? 'Auto-reply saved (on).' : 'Auto-reply saved (off).');
	} catch (err) {
		status(err.message, true);
	}
}
async function savePrefs(ev) {
	ev.preventDefault();
	const t = $('#p-timeout').value.trim();
	try {
		st.prefs = await postJSON('/Prefs', {
			TimeZone: $('#p-tz').value.trim() || null,
			MessagesPerPage: $('#p-mpp').value.trim() || null,
			Signature: $('#p-sig').value,
			RequireFixedNetworkAddress: $('#p-fixed').checked ? 'YES' : 'NO',
			SessionTimeout: t ? String(Math.round(parseFloat(t) * 60)) : null,
		});
		status('Preferences saved.');
		st.position = 0;
		setView('list');
		loadList();
	} catch (err) {
		status(err.message, true);
	}
}
async function changePassword(ev) {
	ev.preventDefault();
	if ($('#pw-new').value !== $('#pw-new2').value) {
		status('The two new passwords differ.', true);
		return;
	}
	try {
		await postJSON('/Password', { old: $('#pw-old').value, new: $('#pw-new').value });
		for (const id of ['pw-old', 'pw-new', 'pw-new2']) $('#' + id).value = '';
		status('Password changed.');
	} catch (err) {
		status(err.message, true);
	}
}

// ---- keyboard ----
function onKey(ev) {
	if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
	const t = ev.target;
	if (t.closest && t.closest('input, textarea, select, [contenteditable]')) {
		if (ev.key === 'Escape') t.blur();
		return;
	}
	const k = ev.key;
	if (k === 'Enter' && t.closest && t.closest('button, a'))
		return;		// the button's own action
	const view = $('#app').dataset.view;
	if (k === 'Escape') {
		toggleHelp(false);
		if (view === 'read') setView('list');
		return;
	}
	if (view === 'compose' || view === 'prefs') {
		if (k === '?') toggleHelp();
		return;
	}
	const act = {
		j: () => move(1), k: () => move(-1),
		Enter: () => st.ids[st.sel] && openEmail(st.ids[st.sel]),
		r: () => reply(st.current, false), a: () => reply(st.current, true),
		f: () => forward(st.current), c: () => compose(),
		'#': () => st.current && deleteEmail(st.current),
		s: () => st.current && toggleKeyword(st.current, '$flagged'),
		u: () => st.current && toggleKeyword(st.current, '$seen'),
		'/': () => $('#search').focus(), '?': () => toggleHelp(),
	}[k];
	if (act) {
		ev.preventDefault();
		act();
	}
}

// ---- push: the list follows changes made elsewhere (IMAP, delivery) ----
function push() {
	if (!window.EventSource) return;
	let timer = null;
	const es = new EventSource('/jmap/eventsource?types=*&ping=60');
	es.addEventListener('state', () => {
		clearTimeout(timer);
		timer = setTimeout(() => {
			loadMailboxes();
			loadQuota();
			if ($('#app').dataset.view !== 'compose') loadList(true);
		}, 300);
	});
}

async function start() {
	buildApp();
	try {
		const s = await getJSON('/.well-known/jmap');
		st.acct = s.primaryAccounts['urn:ietf:params:jmap:mail'];
		st.jmapQuota = !!(s.capabilities && s.capabilities['urn:ietf:params:jmap:quota']);
		await loadPrefs();
		const r = await jmap([['Identity/get', { accountId: st.acct }, 'i']]).catch(() => null);
		st.identity = r && r.i.list.length ? r.i.list[0] : null;
		await loadMailboxes();
		await loadList();
		loadQuota();
		push();
		document.body.dataset.ready = '1';
	} catch (err) {
		status(err.message, true);
	}
}

// A failed background refresh (the network, a reload under way) says so in
// the status line instead of the console.
window.addEventListener('unhandledrejection', (ev) => {
	ev.preventDefault();
	status(String(ev.reason && ev.reason.message || ev.reason), true);
});

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', start);
else
	start();
})();
