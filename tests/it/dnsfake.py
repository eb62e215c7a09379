# SPDX-License-Identifier: Apache-2.0
"""A small authoritative DNS responder for the tests (python3-dnslib), on a
loopback address and a free UDP port (and the same TCP port, for answers too
large for UDP).  Zones are Python data:

    zones = {
        "mail.test": {"MX": [(10, "mx1.mail.test"), (20, "mx2.mail.test")]},
        "mx1.mail.test": {"A": ["127.0.1.1"], "AAAA": ["::1"]},
        "nullmx.test": {"MX": [(0, ".")]},
        "txt.test": {"TXT": ["one", ("two", "parts")]},
        "1.0.0.127.in-addr.arpa": {"PTR": ["localhost.test"]},
        "nodata.test": {},                 # the name exists, no records: NODATA
        "slow.test": DROP,                 # no answer at all (time-outs)
        "broken.test": {"RCODE": "SERVFAIL"},
        "big.test": {"A": [...], "TC": True},  # UDP answer truncated, TCP full
        "signed.test": {"A": ["127.0.0.9"], "AD": True},
    }

Any other name is NXDOMAIN.  Negative answers carry an SOA whose minimum is
`neg_ttl`; positive records have `ttl` (or a per-name "TTL").  The
responder records every query it got as (name, type, source port) in
`queries`, so a test can count them (the cache) and see the source ports
(B16).

    with DNSFake(zones) as dns:
        dns.port ...; dns.count("mail.test", "MX"); dns.source_ports()
"""

import socket
import threading

from dnslib import (AAAA, MX, PTR, QTYPE, RCODE, RR, SOA, TXT, A, DNSLabel,
                    DNSRecord)

DROP = "DROP"


class DNSFake:
    def __init__(self, zones=None, addr="127.0.0.1", port=0, ttl=300,
                 neg_ttl=60, origin="test"):
        self.zones = {}
        self.set_zones(zones or {})
        self.addr = addr
        self.ttl = ttl
        self.neg_ttl = neg_ttl
        self.origin = origin
        self.queries = []
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((addr, port))
        self.udp.settimeout(0.2)
        self.port = self.udp.getsockname()[1]
        self.tcp = None
        self.threads = []
        self.stopping = False
        self.silent = False         # True: no answer to anything

    # ---- zones and counters --------------------------------------------

    def set_zones(self, zones):
        """Replaces the zone data (names in any case, with or without a
        trailing dot)."""
        self.zones = {k.lower().rstrip("."): v for k, v in zones.items()}

    def set(self, name, data):
        self.zones[name.lower().rstrip(".")] = data

    def count(self, name=None, qtype=None):
        """Queries received for name (and type), over UDP and TCP."""
        name = name.lower().rstrip(".") if name else None
        with self.lock:
            return sum(1 for q in self.queries
                       if (name is None or q[0] == name)
                       and (qtype is None or q[1] == qtype))

    def source_ports(self, proto="udp"):
        with self.lock:
            return {q[2] for q in self.queries if q[3] == proto}

    def reset(self):
        with self.lock:
            self.queries.clear()

    @property
    def server(self):
        """The value of the DNR's Servers element for this responder."""
        return f"{self.addr}:{self.port}"

    # ---- answers -------------------------------------------------------

    def _soa(self):
        return RR(self.origin, QTYPE.SOA, ttl=self.neg_ttl,
                  rdata=SOA(f"ns.{self.origin}", f"hostmaster.{self.origin}",
                            (1, 3600, 600, 86400, self.neg_ttl)))

    def answer(self, data, proto):
        """The reply bytes for one query, or None to stay silent."""
        try:
            req = DNSRecord.parse(data)
        except Exception:
            return None
        q = req.q
        name = str(q.qname).lower().rstrip(".")
        qtype = QTYPE.get(q.qtype, str(q.qtype))
        with self.lock:
            self.queries.append((name, qtype, self._peer_port, proto))
        zone = self.zones.get(name)
        if zone == DROP or self.silent:
            return None
        reply = req.reply()
        reply.header.ra = 1
        if zone is None:
            reply.header.rcode = RCODE.NXDOMAIN
            reply.add_auth(self._soa())
            return reply.pack()
        if "RCODE" in zone:
            reply.header.rcode = getattr(RCODE, zone["RCODE"])
            return reply.pack()
        if zone.get("AD"):
            reply.header.ad = 1
        ttl = zone.get("TTL", self.ttl)
        for rr in self._records(name, qtype, zone, ttl):
            reply.add_answer(rr)
        if not reply.rr:
            reply.add_auth(self._soa())
        if zone.get("TC") and proto == "udp":
            reply = req.reply()
            reply.header.tc = 1
        return reply.pack()

    @staticmethod
    def _records(name, qtype, zone, ttl):
        out = []
        for v in zone.get(qtype, []) if isinstance(zone, dict) else []:
            if qtype == "A":
                out.append(RR(name, QTYPE.A, ttl=ttl, rdata=A(v)))
            elif qtype == "AAAA":
                out.append(RR(name, QTYPE.AAAA, ttl=ttl, rdata=AAAA(v)))
            elif qtype == "MX":
                pref, host = v
                label = DNSLabel([]) if host == "." else host
                out.append(RR(name, QTYPE.MX, ttl=ttl, rdata=MX(label, pref)))
            elif qtype == "TXT":
                parts = [v] if isinstance(v, str) else list(v)
                out.append(RR(name, QTYPE.TXT, ttl=ttl,
                              rdata=TXT([p.encode() for p in parts])))
            elif qtype == "PTR":
                out.append(RR(name, QTYPE.PTR, ttl=ttl, rdata=PTR(v)))
        return out

    # ---- serving -------------------------------------------------------

    def _udp_loop(self):
        while not self.stopping:
            try:
                data, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self._peer_port = peer[1]
            out = self.answer(data, "udp")
            if out is not None:
                try:
                    self.udp.sendto(out, peer)
                except OSError:
                    pass

    def _tcp_loop(self):
        while not self.stopping:
            try:
                c, peer = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with c:
                c.settimeout(5)
                try:
                    hdr = c.recv(2)
                    n = int.from_bytes(hdr, "big")
                    data = b""
                    while len(data) < n:
                        chunk = c.recv(n - len(data))
                        if not chunk:
                            break
                        data += chunk
                    self._peer_port = peer[1]
                    out = self.answer(data, "tcp")
                    if out is not None:
                        c.sendall(len(out).to_bytes(2, "big") + out)
                except OSError:
                    pass

    def start(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.tcp.bind((self.addr, self.port))
            self.tcp.listen(16)
            self.tcp.settimeout(0.2)
        except OSError:
            self.tcp.close()
            self.tcp = None
        self._peer_port = 0
        for fn in (self._udp_loop, self._tcp_loop if self.tcp else None):
            if fn is None:
                continue
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(timeout=5)
        for s in (self.udp, self.tcp):
            if s is not None:
                s.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()

