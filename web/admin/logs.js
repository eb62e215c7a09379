// Monitors -> Logs: the live tail.  Polls ReadLog from the offset the page
// (or the last poll) ended at, with the page's filters, and appends; follows
// the switch to the next day's file.
'use strict';
(function () {
	const pre = document.getElementById('log');
	const box = document.getElementById('live-tail');
	if (!pre || !box)
		return;
	let offset = Number(pre.dataset.offset || 0);
	let timer = null;
	async function poll() {
		const opt = { Offset: String(offset), Level: pre.dataset.level,
			Limit: '1000' };
		if (pre.dataset.module) opt.Module = pre.dataset.module;
		if (pre.dataset.filter) opt.Filter = pre.dataset.filter;
		try {
			const r = await window.tegamiCommand('ReadLog',
			    [pre.dataset.file, opt]);
			const atEnd = pre.scrollTop + pre.clientHeight >=
			    pre.scrollHeight - 4;
			for (const line of r.Lines || []) {
				const s = document.createElement('span');
				const lv = /^\d\d:\d\d:\d\d\.\d+ (\d)/.exec(line);
				s.className = 'l' + (lv ? lv[1] : '5');
				s.textContent = line;
				pre.appendChild(s);
				pre.appendChild(document.createTextNode('\n'));
			}
			offset = Number(r.Offset);
			if ((r.Lines || []).length === 0 &&
			    pre.dataset.newest === '1')
				await follow();
			if (atEnd)
				pre.scrollTop = pre.scrollHeight;
			box.parentElement.title = '';
		} catch (e) {
			box.parentElement.title = String(e.message || e);
		}
	}
	// At midnight the server writes to the next day's file: when the file
	// tailed was the newest and another is newer now, go on there.
	async function follow() {
		const files = await window.tegamiCommand('ListLogs', []);
		const next = files && files.length ? files[0].Name : null;
		if (!next || next === pre.dataset.file)
			return;
		const s = document.createElement('span');
		s.className = 'l2';
		s.textContent = '--- continued in ' + next + ' ---';
		pre.appendChild(s);
		pre.appendChild(document.createTextNode('\n'));
		pre.dataset.file = next;
		offset = 0;
		const sel = document.querySelector('select[name="file"]');
		if (sel && ![...sel.options].some((o) => o.value === next))
			sel.add(new Option(next + ' *', next), 0);
		if (sel)
			sel.value = next;
	}
	function set() {
		if (box.checked && !timer) {
			poll();
			timer = setInterval(poll, 1500);
		} else if (!box.checked && timer) {
			clearInterval(timer);
			timer = null;
		}
	}
	box.addEventListener('change', set);
	if (location.hash === '#live') {
		box.checked = true;
		set();
	}
})();
