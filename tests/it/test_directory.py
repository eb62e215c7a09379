# SPDX-License-Identifier: Apache-2.0
"""Directory Integration (B12, docs/ldap.md): with DirectoryIntegration =
"Keep In Sync" every account change updates its record; an update whose
record went missing fails with "directory record with the specified DN is
not found"; DeleteDirectoryRecords and InsertDirectoryRecords (Delete All,
Insert All) remove and restore the records, are idempotent and report their
progress; the Attribute Renaming table applies on every write; records
survive a restart and a kill -9."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

ldap3 = pytest.importorskip("ldap3")
from ldap3 import SUBTREE, Connection, Server  # noqa: E402

DOMAIN = "client1.com"
NOT_FOUND = "directory record with the specified DN is not found"


def start(make_server):
    s = make_server(services=["cli", "ldap"]).start()
    s.tegami("CreateDomain", DOMAIN)
    return s


def records(s, flt="(uid=*)", attrs=("uid",)):
    c = Connection(Server("127.0.0.1", port=s.ports["ldap"]), raise_exceptions=False)
    assert c.bind()
    c.search(f"cn={DOMAIN}", flt, SUBTREE, attributes=list(attrs))
    out = {e.entry_dn: e.entry_attributes_as_dict for e in c.entries}
    c.unbind()
    return out


def cli_fails(s, *args):
    rc, out, err = s.tegami(*args, check=False)
    assert rc != 0, (args, out)
    return err + out


def test_integration_off_by_default(make_server):
    s = start(make_server)
    s.tegami("CreateAccount", f"user1@{DOMAIN}")
    assert records(s) == {}
    # and updates work without records
    s.tegami("UpdateAccountSettings", f"user1@{DOMAIN}", '{RealName="X";}')


def test_b12_missing_record_then_delete_all_insert_all(make_server):
    s = start(make_server)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    for i in range(5):
        s.tegami("CreateAccount", f"user{i}@{DOMAIN}", f'{{RealName="User Number{i}";}}')
    dn = f"uid=user1,cn={DOMAIN}"
    assert dn in records(s)
    # an update goes to the record at once
    s.tegami("UpdateAccountSettings", f"user1@{DOMAIN}", '{RealName="Ann Other";}')
    assert records(s, "(uid=user1)", ("cn", "sn", "givenName"))[dn] == \
        {"cn": ["Ann Other"], "sn": ["Other"], "givenName": ["Ann"]}
    # the record is deleted behind the server's back
    db = sqlite3.connect(s.path("Directory", "directory.db"), timeout=10)
    with db:
        db.execute("DELETE FROM idx WHERE id IN (SELECT id FROM entry WHERE ndn = ?)",
                   (dn,))
        db.execute("DELETE FROM entry WHERE ndn = ?", (dn,))
    db.close()
    # a change by another program is seen once the server's read
    # transaction is renewed (DIR_SNAPSHOT_MS, docs/ldap.md)
    time.sleep(0.4)
    assert dn not in records(s)
    assert NOT_FOUND in cli_fails(s, "UpdateAccountSettings", f"user1@{DOMAIN}",
                                  '{RealName="Changed";}')
    # nothing changed
    _, out, _ = s.tegami("GetAccountSettings", f"user1@{DOMAIN}")
    assert "Ann Other" in out and "Changed" not in out
    # Delete All, then Insert All: the record is back and updates work
    _, out, _ = s.tegami("DeleteDirectoryRecords", DOMAIN)
    assert out == "#5"                       # 4 accounts and the domain record
    assert records(s) == {}
    _, out, _ = s.tegami("GetDirectoryProgress")
    assert "Operation = DeleteAll" in out and "Done = #5" in out and "Running = NO" in out
    _, out, _ = s.tegami("InsertDirectoryRecords", DOMAIN)
    assert out == "#6"
    _, out, _ = s.tegami("GetDirectoryProgress")
    assert "Operation = InsertAll" in out and "Done = #6" in out and "Total = #6" in out
    s.tegami("UpdateAccountSettings", f"user1@{DOMAIN}", '{RealName="Changed Now";}')
    assert records(s, "(uid=user1)", ("cn",))[dn] == {"cn": ["Changed Now"]}
    # idempotent: Insert All again changes nothing, Delete All twice too
    _, out, _ = s.tegami("InsertDirectoryRecords", DOMAIN)
    assert out == "#6" and len(records(s)) == 5
    s.tegami("DeleteDirectoryRecords", DOMAIN)
    _, out, _ = s.tegami("DeleteDirectoryRecords", DOMAIN)
    assert out == "#0"
    assert s.wait_log(r"DIRECTORY InsertAll client1\.com: 6/6 records done")
    # errors
    assert "unknown domain" in cli_fails(s, "InsertDirectoryRecords", "nosuch.example")


def test_attribute_renaming(make_server):
    s = start(make_server)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync"; '
             'AttributeRenaming={RealName=cn; surname=sn; city=l;};}')
    s.tegami("CreateAccount", f"user1@{DOMAIN}",
             '{RealName="Ann Smith"; surname="Smith-Jones"; city=Paris;}')
    r = records(s, "(uid=user1)", ("cn", "sn", "l"))[f"uid=user1,cn={DOMAIN}"]
    assert r == {"cn": ["Ann Smith"], "sn": ["Smith-Jones"], "l": ["Paris"]}
    s.tegami("UpdateAccountSettings", f"user1@{DOMAIN}", '{city=Rome;}')
    assert records(s, "(l=rome)", ("l",))[f"uid=user1,cn={DOMAIN}"] == {"l": ["Rome"]}


def test_records_survive_restart_and_kill9(make_server):
    s = start(make_server)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    for i in range(20):
        s.tegami("CreateAccount", f"u{i}@{DOMAIN}")
    s.kill9()
    s.start()
    assert len(records(s)) == 20
    s.stop()
    s.start()
    assert len(records(s)) == 20


def test_backup_and_restore_carry_the_directory(make_server, tmp_path):
    from conftest import TEGAMID
    s = start(make_server)
    s.tegami("UpdateDomainSettings", DOMAIN, '{DirectoryIntegration="Keep In Sync";}')
    for i in range(30):
        s.tegami("CreateAccount", f"u{i}@{DOMAIN}")
    backup = str(tmp_path / "bk")
    s.tegami("Backup", backup)
    assert os.path.exists(os.path.join(backup, "Directory", "directory.db"))
    assert not os.path.exists(os.path.join(backup, "Directory", "directory.db-wal"))
    s.stop()
    new_base = str(tmp_path / "restored")
    p = subprocess.run([TEGAMID, "--restore", backup, "--base", new_base],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    db = sqlite3.connect(os.path.join(new_base, "Directory", "directory.db"))
    n = db.execute("SELECT count(*) FROM entry WHERE ndn LIKE 'uid=%'").fetchone()[0]
    db.close()
    assert n == 30
