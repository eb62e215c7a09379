// Monitors -> Logs: the live tail.  Polls ReadLog from the offset the page
// (or the last poll) ended at, with the page's filters, and appends.
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
			if (atEnd)
				pre.scrollTop = pre.scrollHeight;
			box.parentElement.title = '';
		} catch (e) {
			box.parentElement.title = String(e.message || e);
		}
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
