# SPDX-License-Identifier: Apache-2.0
"""A domain's Settings page in WebAdmin: Directory Integration
(docs/webadmin.md, docs/ldap.md).  With curl, as a browser without
JavaScript: the page shows the domain's DirectoryIntegration setting, the
[Insert All] / [Delete All] buttons run InsertDirectoryRecords /
DeleteDirectoryRecords (a POST with the CSRF token, 303 back to the page),
the page shows GetDirectoryProgress; the records are checked over LDAP."""

import html
import re
import subprocess

import pytest

from conftest import Server

ldap3 = pytest.importorskip("ldap3")
from ldap3 import SUBTREE, Connection  # noqa: E402
from ldap3 import Server as LdapServer  # noqa: E402

DOMAIN = "dir.test"
NAMES = ["ann", "bob", "cyd"]


class Curl:
    """curl with a cookie jar; redirects are not followed."""

    def __init__(self, port, jar):
        self.base, self.jar = f"http://127.0.0.1:{port}", str(jar)

    def run(self, path, form=None):
        args = ["curl", "-sS", "-b", self.jar, "-c", self.jar, "-o", "-",
                "-w", "\n%{http_code} %{redirect_url}", "--max-time", "20"]
        for k, v in (form or {}).items():
            args += ["--data-urlencode", f"{k}={v}"]
        p = subprocess.run(args + [self.base + path], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        body, _, tail = p.stdout.rpartition("\n")
        code, _, loc = tail.partition(" ")
        return int(code), loc, body

    def get(self, path):
        code, _, body = self.run(path)
        assert code == 200, (path, code, body[:300])
        return body

    def post(self, path, form, csrf=True):
        form = dict(form)
        if csrf:
            m = re.search(r'name="csrf" value="([^"]*)"',
                          self.get(path.split("?")[0]))
            assert m
            form["csrf"] = m.group(1)
        return self.run(path, form)


@pytest.fixture
def wa(base_dir, tmp_path):
    s = Server(base_dir, services=["webadmin", "cli", "ldap"]).start()
    c = Curl(s.ports["webadmin"], tmp_path / "jar")
    code, _, _ = c.run("/login", {"username": "postmaster",
                                  "password": s.postmaster_password()})
    assert code == 303
    yield s, c
    assert s.stop() == 0
    with open(s.stderr_path, "rb") as f:
        assert b"Sanitizer" not in f.read()


def records(s):
    """The DNs below cn=DOMAIN, over LDAP (anonymous)."""
    conn = Connection(LdapServer("127.0.0.1", port=s.ports["ldap"]),
                      raise_exceptions=False)
    assert conn.bind()
    conn.search(f"cn={DOMAIN}", "(objectClass=*)", SUBTREE)
    dns = sorted(e.entry_dn for e in conn.entries)
    conn.unbind()
    return dns


def progress(text):
    m = re.search(r'<p id="dir-progress">(.*?)</p>', text, re.S)
    assert m, text[-2000:]
    return html.unescape(re.sub(r"<[^>]*>", "", m.group(1)))


def selected(text):
    m = re.search(r'<select name="DirectoryIntegration">(.*?)</select>',
                  text, re.S)
    assert m
    return re.findall(r"<option selected>([^<]*)</option>", m.group(1))


def test_directory_integration_on_the_domain_page(wa):
    s, c = wa
    s.tegami("CreateDomain", DOMAIN)
    for n in NAMES:
        s.tegami("CreateAccount", f"{n}@{DOMAIN}", '{Password="pw1234";}')
    page = f"/Users/Domain?d={DOMAIN}"
    text = c.get(page)
    assert selected(text) == ["None"]
    assert ">Insert All</button>" in text and ">Delete All</button>" in text
    assert progress(text) == "No directory operation since the server started."
    assert records(s) == []             # integration off: no records yet

    # [Insert All]: InsertDirectoryRecords, then back to the page
    code, loc, _ = c.post("/Users/Domain", {"d": DOMAIN, "action": "dirinsert"})
    assert code == 303 and loc.endswith(f"/Users/Domain?done=1&d={DOMAIN}")
    want = sorted([f"cn={DOMAIN}"] + [f"uid={n},cn={DOMAIN}" for n in NAMES])
    assert records(s) == want
    text = c.get(page + "&done=1")
    assert progress(text) == f"Last operation: InsertAll {DOMAIN}: 4 of 4 records, finished"

    # without the CSRF token: refused, nothing deleted
    code, _, _ = c.post("/Users/Domain", {"d": DOMAIN, "action": "dirdelete"},
                        csrf=False)
    assert code == 403
    assert records(s) == want

    # [Delete All]
    code, loc, _ = c.post("/Users/Domain", {"d": DOMAIN, "action": "dirdelete"})
    assert code == 303 and loc.endswith(f"/Users/Domain?done=1&d={DOMAIN}")
    assert records(s) == []
    text = c.get(page)
    assert progress(text).startswith(f"Last operation: DeleteAll {DOMAIN}: ")
    assert progress(text).endswith("records, finished")

    # the setting: Keep In Sync, then a new account gets its record at once
    code, loc, _ = c.post("/Users/Domain", {"d": DOMAIN, "action": "directory",
                                            "DirectoryIntegration": "Keep In Sync"})
    assert code == 303
    assert "Keep In Sync" in s.tegami("GetDomainSettings", DOMAIN)[1]
    assert selected(c.get(page)) == ["Keep In Sync"]
    s.tegami("CreateAccount", f"dan@{DOMAIN}", '{Password="pw1234";}')
    assert f"uid=dan,cn={DOMAIN}" in records(s)

    # a refused value comes back with the server's text next to the field
    code, _, text = c.post("/Users/Domain", {"d": DOMAIN, "action": "directory",
                                             "DirectoryIntegration": "Sometimes"})
    assert code == 400
    assert "DirectoryIntegration: None or Keep In Sync" in text
    assert "Keep In Sync" in s.tegami("GetDomainSettings", DOMAIN)[1]
    # back to None
    code, _, _ = c.post("/Users/Domain", {"d": DOMAIN, "action": "directory",
                                          "DirectoryIntegration": "None"})
    assert code == 303
    assert selected(c.get(page)) == ["None"]
