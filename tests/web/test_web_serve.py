"""`ariane serve`: loopback by default, TLS with a certificate (Secure cookies, HSTS), and no
plain HTTP beyond this machine."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time

import httpx2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ariane.engine.workspace import Workspace

SERVE = [sys.executable, "-m", "ariane.cli.serve"]


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_over_tls_sets_secure_cookies(tmp_path):
    Workspace.open(tmp_path / "ws", create=True)
    cert, key = self_signed(tmp_path)
    port = free_port()
    args = ["--port", str(port), "--cert", str(cert), "--key", str(key), "-w", str(tmp_path / "ws")]
    proc = subprocess.Popen([*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        context = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx2.get(f"https://127.0.0.1:{port}/login", verify=context, timeout=2)
                break
            except httpx2.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "ariane serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and "Sign in" in r.text
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-ariane_login_csrf=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "server" not in r.headers
        # Plain HTTP on the TLS port is not served.
        try:
            plain = httpx2.get(f"http://127.0.0.1:{port}/login", timeout=2)
        except httpx2.TransportError:
            pass
        else:
            assert plain.status_code == 400
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_refuses_plain_http_beyond_loopback(tmp_path):
    Workspace.open(tmp_path / "ws", create=True)
    env = dict(os.environ, COLUMNS="200")
    p = subprocess.run(
        [*SERVE, "--host", "0.0.0.0", "-w", str(tmp_path / "ws")],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert p.returncode == 2
    assert "needs TLS" in p.stdout + p.stderr
