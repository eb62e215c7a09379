// Monitors -> Statistics: polls the server's counters through the JSON API
// and draws each as a line chart on a <canvas>: counters that only grow
// (messages received, logins failed, ...) as a rate per minute, gauges
// (connections now, queue size) as they are.  No charting library.
'use strict';
(function () {
	const root = document.getElementById('charts');
	if (!root)
		return;
	const COMMAND = root.dataset.command || 'GetServerStatistics';
	const POLL_MS = 2000, KEEP = 300;
	const charts = new Map();	// name -> {canvas, now, points, last}
	const status = document.getElementById('stats-status');

	// GetServerStatistics: Connections.<service>.Current (a gauge), the
	// growing counters MessagesReceived, MessagesDelivered, MessagesRelayed,
	// LoginsFailed (drawn per minute) and QueueSize (a gauge).
	const SHOWN = /^(Connections\.[^.]+\.Current|Messages\w+|LoginsFailed|QueueSize)$/;
	function isGauge(name) {
		return /(Current|Size)$/.test(name);
	}
	const LABELS = {
		MessagesReceived: 'Messages received per minute',
		MessagesDelivered: 'Messages delivered per minute',
		MessagesRelayed: 'Messages relayed per minute',
		LoginsFailed: 'Logins failed per minute',
		QueueSize: 'Queue size (messages)',
	};
	function label(name) {
		const m = /^Connections\.([^.]+)\.Current$/.exec(name);
		return m ? 'Connections: ' + m[1] : (LABELS[name] || name);
	}
	// the message charts first, then the queue, then the connections
	function rank(name) {
		return name.startsWith('Messages') ? 0 : name === 'QueueSize' ? 1 :
		    name === 'LoginsFailed' ? 2 : 3;
	}
	function chartFor(name) {
		let c = charts.get(name);
		if (c)
			return c;
		const box = document.createElement('div');
		box.className = 'chart';
		box.dataset.counter = name;
		box.dataset.rank = String(rank(name));
		const h = document.createElement('h3');
		h.textContent = label(name);
		const canvas = document.createElement('canvas');
		canvas.setAttribute('role', 'img');
		canvas.setAttribute('aria-label', label(name));
		const now = document.createElement('div');
		now.className = 'now';
		box.append(h, canvas, now);
		const after = [...root.querySelectorAll('.chart')].find(
		    (e) => Number(e.dataset.rank) > rank(name));
		root.insertBefore(box, after || null);
		c = { canvas, now, points: [], last: null, box };
		charts.set(name, c);
		return c;
	}
	function draw(c, unit) {
		// the canvas has as many pixels as it shows
		const dpr = window.devicePixelRatio || 1;
		const cw = Math.max(100, Math.round(c.canvas.clientWidth * dpr));
		const ch = Math.max(60, Math.round(c.canvas.clientHeight * dpr));
		if (c.canvas.width !== cw || c.canvas.height !== ch) {
			c.canvas.width = cw;
			c.canvas.height = ch;
		}
		const g = c.canvas.getContext('2d');
		g.setTransform(dpr, 0, 0, dpr, 0, 0);
		const w = cw / dpr, h = ch / dpr, pad = 22;
		g.clearRect(0, 0, w, h);
		const max = Math.max(1, ...c.points);
		g.strokeStyle = '#d5d9e0';
		g.fillStyle = '#5b6475';
		g.font = '12px system-ui, sans-serif';
		g.lineWidth = 1;
		for (let i = 0; i <= 2; i++) {
			const y = pad + (h - 2 * pad) * i / 2;
			g.beginPath(); g.moveTo(pad, y); g.lineTo(w - 4, y);
			g.stroke();
			g.fillText(String(Math.round(max * (2 - i) / 2 * 10) / 10),
			    2, y - 2);
		}
		g.strokeStyle = '#1f5fa8';
		g.lineWidth = 2;
		g.beginPath();
		c.points.forEach((v, i) => {
			const x = pad + (w - pad - 4) * i / (KEEP - 1);
			const y = h - pad - (h - 2 * pad) * v / max;
			if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
		});
		g.stroke();
		const v = c.points.length ? c.points[c.points.length - 1] : 0;
		c.now.textContent = c.points.length ?
		    'now: ' + (Math.round(v * 10) / 10) + unit :
		    'collecting…';
		c.box.dataset.last = String(v);
		c.box.dataset.max = String(Math.max(0, ...c.points));
	}
	function flatten(obj, prefix, out) {
		for (const [k, v] of Object.entries(obj || {})) {
			const name = prefix ? prefix + '.' + k : k;
			if (typeof v === 'number')
				out[name] = v;
			else if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))
				out[name] = Number(v);
			else if (v && typeof v === 'object' && !Array.isArray(v))
				flatten(v, name, out);
		}
		return out;
	}
	async function poll() {
		let res;
		try {
			res = await window.tegamiCommand(COMMAND, []);
		} catch (e) {
			if (status) status.textContent = String(e.message || e);
			return;
		}
		if (status) status.textContent = '';
		const t = Date.now();
		const vals = flatten(res, '', {});
		for (const [name, v] of Object.entries(vals)) {
			if (!SHOWN.test(name))
				continue;
			const c = chartFor(name);
			const gauge = isGauge(name);
			let p;
			if (gauge)
				p = v;
			else if (c.last)
				p = Math.max(0, (v - c.last.v) * 60000 /
				    Math.max(1, t - c.last.t));
			c.last = { v, t };
			if (p === undefined) {
				draw(c, '');
				continue;
			}
			c.points.push(p);
			if (c.points.length > KEEP)
				c.points.shift();
			draw(c, gauge ? '' : ' per minute');
		}
	}
	poll();
	setInterval(poll, POLL_MS);
})();
