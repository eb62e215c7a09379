# SPDX-License-Identifier: Apache-2.0
"""The CLI commands the WebAdmin pages are built on (docs/admin-cli.md):
ListDomainObjects pages a domain's accounts and forwarders with a filter and
a cookie, ListLogs and ReadLog read the server log with filters, in bounded
pieces."""

import re

from conftest import CliClient


def login(server):
    c = CliClient(server.ports["cli"])
    assert c.login("postmaster", server.postmaster_password()) == "200 login OK"
    return c


def page(c, line):
    """ListDomainObjects answer: (total, [names], cookie)."""
    st, data = c.data(line)
    assert st == "200 data follow", (line, st)
    m = re.match(r"^\(#(\d+), \{(.*)\}, (.*)\)$", data)
    assert m, data
    top = re.sub(r"\{[^{}]*\}", "{}", m.group(2))   # forwarders' dictionaries
    names = re.findall(r'([A-Za-z0-9._-]+) = ', top)
    cookie = m.group(3).strip('"')
    return int(m.group(1)), names, cookie


def test_list_domain_objects_pages_with_filter_and_cookie(server):
    c = login(server)
    assert c.cmd('CreateDomain "paged.test"') == "200 OK"
    n = 260
    for i in range(n):
        assert c.cmd(f'CreateAccount "u{i:04d}@paged.test"') == "200 OK"
    assert c.cmd('CreateForwarder "fwd1@paged.test" TO "x@elsewhere.test"') \
        == "200 OK"
    # Walk every page of 50: each name once, in order, the forwarder too.
    seen, cookie = [], ""
    for _ in range(20):
        line = 'ListDomainObjects "paged.test" 50'
        if cookie:
            line += f' COOKIE "{cookie}"'
        total, names, cookie = page(c, line)
        assert total == n + 1
        assert len(names) <= 50
        seen += names
        if not cookie:
            break
    assert seen == sorted(seen)
    assert len(seen) == n + 1 and len(set(seen)) == n + 1
    assert "fwd1" in seen
    # A filter counts and lists only its matches.
    total, names, cookie = page(
        c, 'ListDomainObjects "paged.test" FILTER "u01" 5')
    assert total == 100 and names == [f"u01{i:02d}" for i in range(5)]
    assert cookie == "u0104"
    total, names, cookie = page(
        c, 'ListDomainObjects "paged.test" FILTER "u01" 5 COOKIE "u0197"')
    assert names == ["u0198", "u0199"] and cookie == ""
    # Only accounts, only forwarders.
    total, names, _ = page(c, 'ListDomainObjects "paged.test" 1000 FORWARDERS')
    assert (total, names) == (1, ["fwd1"])
    st, data = c.data('ListDomainObjects "paged.test" 3 ACCOUNTS')
    assert data.startswith(f"(#{n}, ") and "Forwarder" not in data
    # Errors: no limit, an unknown domain.
    assert c.cmd('ListDomainObjects "paged.test"').startswith("501 usage")
    assert c.cmd('ListDomainObjects "nosuch.test" 10').startswith("501 ")
    c.close()


def test_read_log_filters(server):
    c = login(server)
    assert c.cmd('WriteLog 2 "webadmin-marker-major"') == "200 OK"
    assert c.cmd('WriteLog 3 "webadmin-marker-problem"') == "200 OK"
    assert server.wait_log("webadmin-marker-problem")
    st, files = c.data("ListLogs")
    assert st == "200 data follow"
    name = re.search(r'Name = "?(\d{4}-\d\d-\d\d\.log)"?', files).group(1)
    assert "Current = YES" in files
    st, data = c.data(f'ReadLog "{name}" {{Filter = "webadmin-marker";}}')
    assert "webadmin-marker-major" in data and "webadmin-marker-problem" in data
    # The level cut-off drops the Problems record.
    st, data = c.data(f'ReadLog "{name}" {{Filter = "webadmin-marker"; '
                      'Level = 2;}')
    assert "webadmin-marker-major" in data
    assert "webadmin-marker-problem" not in data
    # The module filter: WriteLog writes as SYSTEM? whatever the tag of the
    # record is, filtering by it keeps it and another tag drops it.
    log = server.log_text()
    rec = [l for l in log.splitlines() if "webadmin-marker-major" in l][0]
    tag = re.match(r"^\S+ \d ([A-Z]+)", rec).group(1)
    st, data = c.data(f'ReadLog "{name}" {{Module = {tag}; '
                      'Filter = "webadmin-marker-major";}')
    assert "webadmin-marker-major" in data
    st, data = c.data(f'ReadLog "{name}" {{Module = NOSUCH; '
                      'Filter = "webadmin-marker-major";}')
    assert "webadmin-marker-major" not in data
    # A time range that ends before the records has none of them.
    st, data = c.data(f'ReadLog "{name}" {{Till = "00:00:00.000"; '
                      'Filter = "webadmin-marker";}')
    assert "webadmin-marker" not in data.replace("Filter", "")
    # Reading on from the Offset returns only what came after.
    off = int(re.search(r"Offset = #(\d+)", data).group(1))
    assert c.cmd('WriteLog 2 "webadmin-marker-later"') == "200 OK"
    assert server.wait_log("webadmin-marker-later")
    st, data = c.data(f'ReadLog "{name}" {{Offset = {off}; '
                      'Filter = "webadmin-marker";}')
    assert "webadmin-marker-later" in data
    assert "webadmin-marker-major" not in data
    # Only log files can be read.
    assert c.cmd('ReadLog "../Settings/Main.settings"') == \
        "501 illegal log file name"
    assert c.cmd('ReadLog "2001-01-01.log"').startswith("501 ")
    c.close()
