# SPDX-License-Identifier: Apache-2.0
"""The generic CLI path of the named settings files (cli_commands.c,
sfile_cmds; docs/storage.md): Get, Set and Update of every one round-trip
over the PWD protocol, their argument shapes are refused with the usage
text each command always had, and commands need the Master right."""

from conftest import CliClient

# suffix, owner argument ("" server, domain, account), value word of usage
FILES = [
    ("ServerSettings", "", "{settings}"),
    ("DomainDefaults", "", "{settings}"),
    ("ServerAccountDefaults", "", "{settings}"),
    ("AllAccountsDefaults", "", "{settings}"),
    ("ServerAccountPrefs", "", "{settings}"),
    ("Protection", "", "{settings}"),
    ("DomainSettings", "sf.dom", "{settings}"),
    ("AccountDefaults", "sf.dom", "{settings}"),
    ("AccountDefaultPrefs", "sf.dom", "{settings}"),
    ("AccountTemplate", "sf.dom", "{settings}"),
    ("AccountSettings", "sfu@sf.dom", "{settings}"),
    ("AccountPrefs", "sfu@sf.dom", "{prefs}"),
]


def usage_name(suffix):
    # An alias's usage text names the command it stands for.
    return "ServerAccountDefaults" if suffix == "AllAccountsDefaults" \
        else suffix


def owner_usage(owner):
    if owner == "":
        return ""
    return " name" if "@" in owner else " [domain]"


def test_every_settings_file_round_trips(server):
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", server.postmaster_password()) == \
            "200 login OK"
        assert c.cmd('CreateDomain "sf.dom"') == "200 OK"
        assert c.cmd('CreateAccount "sfu@sf.dom"') == "200 OK"
        for suffix, owner, _ in FILES:
            arg = (owner + " ") if owner else ""
            st, data = c.data("Get" + suffix + " " + arg.strip())
            assert st == "200 data follow", suffix
            assert c.cmd("Set%s %s{ SfA = \"%s\"; SfB = b; }" %
                         (suffix, arg, suffix)) == "200 OK", suffix
            st, data = c.data("Get%s %s" % (suffix, arg.strip()))
            assert "SfA = %s;" % suffix in data and "SfB = b;" in data, \
                (suffix, data)
            assert c.cmd("Update%s %s{ SfC = c; SfB = default; }" %
                         (suffix, arg)) == "200 OK", suffix
            st, data = c.data("Get%s %s" % (suffix, arg.strip()))
            assert "SfA = %s;" % suffix in data and "SfC = c;" in data \
                and "SfB" not in data, (suffix, data)


def test_usage_texts(server):
    # A session is closed after a few errors: one session per file.
    for suffix, owner, word in FILES:
        shape = owner_usage(owner)
        un = usage_name(suffix)
        with CliClient(server.ports["cli"]) as c:
            assert c.login("postmaster", server.postmaster_password()) == \
                "200 login OK"
            # Set without its dictionary
            assert c.cmd("Set" + suffix) == \
                "501 usage: Set%s%s %s" % (un, shape, word), suffix
            assert c.cmd("Update%s x y z" % suffix) == \
                "501 usage: Update%s%s %s" % (un, shape, word), suffix
            # Get with one argument too many
            extra = "a b" if owner else "a"
            assert c.cmd("Get%s %s" % (suffix, extra)) == \
                "501 usage: Get%s%s" % (un, shape), suffix
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", server.postmaster_password()) == \
            "200 login OK"
        assert c.cmd('GetDomainSettings "no.such"') == "501 unknown domain"
        assert c.cmd("GetAccountSettings nobody") == "501 unknown account"


def test_master_right_needed(server):
    with CliClient(server.ports["cli"]) as c:
        assert c.login("postmaster", server.postmaster_password()) == \
            "200 login OK"
        assert c.cmd('CreateAccount "plain"') == "200 OK"
        assert c.cmd('SetAccountPassword "plain" PASSWORD "pw-plain-1"') \
            == "200 OK"
    for suffix, _, _ in FILES:
        with CliClient(server.ports["cli"]) as c:
            assert c.login("plain", "pw-plain-1") == "200 login OK"
            assert c.cmd("Get" + suffix) == \
                "501 not enough access rights", suffix
