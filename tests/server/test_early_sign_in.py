"""A terminal of a console server sends its sign-in while the command still loads
(api/early_sign_in.py, started by the CLI's entry point): the server verifies the password
meanwhile. Used only for the very server, member, password and terminal the sign-in sends;
signed out when the command never signs in; never sent to a URL the settings refuse."""

from __future__ import annotations

import os

from helpers import PASSWORD, cli_probe

from staff_console.api import early_sign_in
from staff_console.api.remote import RemoteConsole
from staff_console.domain.errors import ConsoleError

# The entry point, with every request the terminal sends and every early sign-in recorded.
_PROBE = """
import http.client
from staff_console.api import early_sign_in
sent, taken, started = [], [], []
request, take, start = http.client.HTTPConnection.request, early_sign_in.take, early_sign_in.start
def counted_request(self, method, url, *args, **kwargs):
    sent.append(url)
    return request(self, method, url, *args, **kwargs)
def counted_take(*args, **kwargs):
    early = take(*args, **kwargs)
    taken.append(early is not None)
    return early
def counted_start(*args, **kwargs):
    started.append(args[0])
    return start(*args, **kwargs)
http.client.HTTPConnection.request = counted_request
early_sign_in.take, early_sign_in.start = counted_take, counted_start
REPORT = {"sent": sent, "taken": taken, "started": started}
"""


def _run(tmp_path, server: str, *args: str, password: str = PASSWORD, **env: str) -> dict:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("STAFF_CONSOLE_")}
    merged.update(STAFF_CONSOLE_HOME=str(tmp_path / "terminal"), STAFF_CONSOLE_SERVER=server,
                  STAFF_CONSOLE_PASSWORD=password, **env)
    return cli_probe(_PROBE, list(args), merged)


def test_the_command_uses_the_sign_in_it_sent_early(site, tmp_path):
    doc = _run(tmp_path, site.url, "customer", "show", "C001", "--as", "M001", "--json")
    assert doc["exit"] == 0, doc["stderr"]
    assert doc["started"] == [site.url] and doc["taken"] == [True]
    # one sign-in (the early one), the call, the sign-out at the command's end
    assert doc["sent"] == ["/v1/session/sign-in", "/v1/staff/show_customer",
                           "/v1/session/sign-out"]


def test_a_wrong_password_sent_early_is_refused_as_before(site, tmp_path):
    doc = _run(tmp_path, site.url, "customer", "show", "C001", "--as", "M001", "--json",
               password="not-the-password")
    assert doc["exit"] == 4 and "error: AUTH_FAILED:" in doc["stderr"]
    assert doc["taken"] == [True] and doc["sent"] == ["/v1/session/sign-in"]


def test_a_command_that_never_signs_in_signs_the_early_session_out(site, tmp_path):
    # A usage error (no customer number): Click refuses it after the sign-in was sent.
    doc = _run(tmp_path, site.url, "customer", "show", "--as", "M001")
    assert doc["exit"] == 2 and "error: INVALID_INPUT:" in doc["stderr"]
    assert doc["started"] == [site.url] and doc["taken"] == []
    assert doc["sent"] == ["/v1/session/sign-in", "/v1/session/sign-out"]


def test_no_password_goes_early_to_a_url_the_settings_refuse(site, tmp_path):
    # Plain http off the loopback, a bad setting beside a good URL, a database URL on a
    # terminal: refused as before, and nothing was sent.
    port = site.url.rsplit(":", 1)[1]
    for server, env in ((f"http://console.example:{port}", {}),
                        (site.url, {"STAFF_CONSOLE_LANG": "fr"}),
                        (site.url, {"STAFF_CONSOLE_DB": "sqlite:///x.db"})):
        doc = _run(tmp_path, server, "customer", "show", "C001", "--as", "M001", **env)
        assert doc["exit"] == 2 and "error: INVALID_SETTING:" in doc["stderr"], (server, env)
        assert doc["started"] == [] and doc["sent"] == [], (server, env)


def test_an_early_sign_in_for_anything_else_is_not_used(site):
    # Another member (or terminal) than the one the sign-in is for: a sign-in of its own,
    # and the early session signed out.
    early_sign_in.start(site.url, None, "M001", PASSWORD, "desk-early")
    console = RemoteConsole(site.url)
    actor = console.sign_in("T001", PASSWORD, terminal="desk-early")
    assert actor.employee_no == "T001" and early_sign_in.pending() is None
    console.sign_out()
    early_sign_in.start(site.url, None, "M001", "wrong", "desk-early")
    try:
        RemoteConsole(site.url).sign_in("M001", PASSWORD, terminal="desk-early")
    except ConsoleError as exc:  # pragma: no cover - the early answer was not for this one
        raise AssertionError(exc) from None
