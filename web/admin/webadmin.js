// Tegami WebAdmin: small progressive additions; every form works without it.
'use strict';
document.addEventListener('submit', (ev) => {
	const b = ev.submitter;
	if (b && b.dataset.confirm && !window.confirm(b.dataset.confirm))
		ev.preventDefault();
});

// POST /api/command with the session cookie and the page's CSRF token.
window.tegamiCommand = async function (command, args) {
	const meta = document.querySelector('meta[name="csrf-token"]');
	const holder = document.querySelector('[data-csrf]');
	const token = meta ? meta.content : (holder ? holder.dataset.csrf : '');
	const url = (document.body.dataset.prefix || '') + '/api/command';
	const r = await fetch(url, {
		method: 'POST', credentials: 'same-origin',
		headers: { 'Content-Type': 'application/json',
			'X-CSRF-Token': token },
		body: JSON.stringify({ command, args: args || [], csrf: token }),
	});
	const j = await r.json().catch(() => ({ error: 'bad answer' }));
	if (!r.ok || j.error !== undefined)
		throw new Error(j.error || ('HTTP ' + r.status));
	return j.result;
};

// Monitors -> Queues: the table refreshes itself every 5 seconds (the same
// page fetched again; a form being used is left alone).
(function () {
	if (!document.querySelector('table[data-live] tbody'))
		return;
	setInterval(async () => {
		const t = document.querySelector('table[data-live] tbody');
		if (!t || (document.activeElement && t.contains(document.activeElement)))
			return;
		try {
			const r = await fetch(location.href, { credentials: 'same-origin' });
			if (!r.ok)
				return;
			const doc = new DOMParser().parseFromString(await r.text(),
			    'text/html');
			const n = doc.querySelector('table[data-live] tbody');
			if (n)
				t.replaceWith(n);
		} catch (e) { /* the next round tries again */ }
	}, 5000);
})();
