"""`staff-console serve`: TLS unless the loopback, the lab's --insecure-http said loudly, the
store's refusals as the command's exit codes, and a terminal over HTTPS with a CA file."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import subprocess
import sys
import time

import pytest
from helpers import PASSWORD
from live_server import KEY_TEXT, free_port

from staff_console.api.remote import RemoteConsole
from staff_console.domain.errors import ConsoleError

CLI = [sys.executable, "-c", "from staff_console.cli import main; main()"]


def _env(site) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    env.update(STAFF_CONSOLE_HOME=str(site.home), STAFF_CONSOLE_DB=site.settings.db_url,
               STAFF_CONSOLE_KEY=KEY_TEXT)
    return env


def _run(site, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=_env(site), capture_output=True, text=True,
                          timeout=timeout)


def _serve(site, *args, language: str | None = None) -> subprocess.Popen:
    env = _env(site) | ({"STAFF_CONSOLE_LANG": language} if language else {})
    return subprocess.Popen([*CLI, "serve", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_port(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("serve did not start")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        return process.communicate(timeout=15)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[1]


def test_a_network_address_needs_tls(fresh_site):
    done = _run(fresh_site, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert done.returncode == 2 and "INVALID_INPUT" in done.stderr and "TLS" in done.stderr


def test_a_fixed_clock_on_a_real_store_is_refused_before_serving(fresh_site):
    done = _run(fresh_site, "--now", "2026-11-24T10:00:00+09:00", "serve", "--port",
                str(free_port()))
    assert done.returncode == 4 and "CLOCK_FIXED_REFUSED" in done.stderr


def test_insecure_http_says_so_and_serves(fresh_site):
    """Said to the person in their language (here Korean), and in the log (English)."""
    port = free_port()
    process = _serve(fresh_site, "--host", "0.0.0.0", "--port", str(port), "--insecure-http",
                     language="ko")
    try:
        _wait_port(process, port)
        console = RemoteConsole(f"http://127.0.0.1:{port}")
        assert console.sign_in("T001", PASSWORD, terminal="lab").employee_no == "T001"
        console.sign_out()
    finally:
        stderr = _stop(process)
    assert "안전하지 않음" in stderr and "--insecure-http" in stderr
    assert "INSECURE" in (fresh_site.home / "staff-console.log").read_text()


def _certificate(folder) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("fresh_site", ["sqlite"], indirect=True)
def test_tls_with_the_servers_ca_file_and_refused_without_it(fresh_site, tmp_path):
    cert, key = _certificate(tmp_path)
    port = free_port()
    process = _serve(fresh_site, "--port", str(port), "--certfile", cert, "--keyfile", key)
    try:
        _wait_port(process, port)
        url = f"https://127.0.0.1:{port}"
        with pytest.raises(ConsoleError) as caught:
            RemoteConsole(url).sign_in("T001", PASSWORD, terminal="t")
        assert caught.value.code == "SERVER_UNAVAILABLE"
        console = RemoteConsole(url, ca_file=cert)
        console.sign_in("T001", PASSWORD, terminal="t")
        assert console.search_customers("홍길동").items
        console.sign_out()
    finally:
        _stop(process)


@pytest.mark.parametrize("fresh_site", ["sqlite"], indirect=True)
def test_several_workers_share_the_sessions_of_the_store(fresh_site):
    port = free_port()
    process = _serve(fresh_site, "--port", str(port), "--workers", "2", "--threads", "3")
    try:
        _wait_port(process, port)
        url = f"http://127.0.0.1:{port}"
        first = RemoteConsole(url)
        first.sign_in("T001", PASSWORD, terminal="desk")
        for _ in range(6):  # new connections, spread over the workers by the kernel
            again = RemoteConsole(url)
            again._token = first._token
            assert again.search_customers("홍길동").items
            again.close()
        first.sign_out()
    finally:
        _stop(process)
    assert "2 worker(s), 3 call(s) at once in each" in (
        fresh_site.home / "staff-console.log").read_text()


@pytest.mark.parametrize("fresh_site", ["sqlite"], indirect=True)
@pytest.mark.parametrize("threads", ["0", "65", "-1", "many", "2.5"])
def test_calls_at_once_out_of_bounds_are_refused(fresh_site, threads):
    done = _run(fresh_site, "serve", "--threads", threads, "--port", str(free_port()))
    assert done.returncode == 2 and "INVALID_INPUT" in done.stderr, done.stderr
    assert "--threads" in done.stderr and "Traceback" not in done.stderr
