# SPDX-License-Identifier: Apache-2.0
"""The server certificate: a self-signed one for the main domain is generated
on first start and kept; CertificateFile/PrivateKeyFile in Main.settings
choose the administrator's own; a missing file is a clear start-up error."""
import os
import socket
import ssl
import subprocess


def peer_cn(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject"],
                         input=der, capture_output=True, check=True)
    return out.stdout.decode()


def test_self_signed_for_main_domain(make_server):
    s = make_server(services=["cli", "smtps"]).start()
    assert "CN = test.example" in peer_cn(s.ports["smtps"])
    assert os.stat(s.path("Settings", "ServerKey.pem")).st_mode & 0o077 == 0


def test_configured_certificate(make_server, tmp_path):
    s = make_server(services=["cli", "smtps"])
    os.makedirs(s.path("Settings"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "30", "-subj", "/CN=mail.custom.example",
                    "-keyout", s.path("Settings", "custom.key"),
                    "-out", s.path("Settings", "custom.pem")],
                   capture_output=True, check=True)
    with open(s.path("Settings", "Main.settings"), "w") as f:
        f.write('{ DomainName = test.example; CertificateFile = "custom.pem";'
                ' PrivateKeyFile = "custom.key"; }\n')
    s.start()
    assert "CN = mail.custom.example" in peer_cn(s.ports["smtps"])


def test_missing_certificate_file_is_a_clear_error(make_server):
    s = make_server(services=["cli", "smtps"])
    os.makedirs(s.path("Settings"))
    with open(s.path("Settings", "Main.settings"), "w") as f:
        f.write('{ DomainName = test.example; CertificateFile = "/nonexistent.pem";'
                ' PrivateKeyFile = "/nonexistent.key"; }\n')
    s.start(wait=False)
    rc = s.proc.wait(timeout=20)
    s.proc = None
    s.stderr.close()
    assert rc != 0
    with open(s.stderr_path, "rb") as f:
        err = f.read().decode(errors="replace")
    assert "nonexistent.pem" in err
