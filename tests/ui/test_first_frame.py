"""The first frame (issues 13 and 14: within 1.2x, as a server's terminal 1.1x, of a bare Textual
app with the same widgets; benchmarks/bench_ui.py measures it). What the console adds before the
sign-in screen is painted is kept to what that screen needs; these tests pin the two costs a
change could bring back unnoticed:

- no stylesheet parsed again and no widget styled twice before the frame: the sign-in screen's
  styles are read with the app's; the screen is the app's default screen, not a mode's first
  one (Textual parses every stylesheet again for those); and it is made with the breakpoint
  class of the terminal's size, so its first Resize changes no class (a changed class styles
  the whole screen again);
- no module of the signed-in console (the sections, the palette's providers, the formats, the
  session's rules, the demo) imported before the first frame, in a fresh interpreter.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from textual.css.stylesheet import Stylesheet
from textual.widgets import Label, Static

from staff_console.app import StaffConsoleApp
from staff_console.screens.base import ConsoleScreen
from staff_console.settings import Settings


async def test_the_sign_in_screen_paints_with_no_second_parse_of_the_stylesheets(tmp_path,
                                                                                 monkeypatch):
    reparsed: list[int] = []
    reparse = Stylesheet.reparse

    def counted(self: Stylesheet) -> None:
        reparsed.append(1)
        reparse(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    app = StaffConsoleApp(Settings(home=tmp_path, server="http://127.0.0.1:9",
                                   server_allow_http=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.id == "signin"
        assert reparsed == []
        # ... and the screen has its own styles (screens/signin.tcss): the box is bordered and
        # the 한글-mode hint hidden until the password holds Hangul; the field labels are drawn
        # in the text colour, not the background's.
        box = app.screen.query_one("#signin-box")
        assert box.styles.border_top[0] != ""
        assert not app.screen.query_one("#password-hangul", Static).display
        label = app.screen.query(".field-label").first(Label)
        drawn = _fill_of(app.export_screenshot(), str(label.render()))
        assert drawn == label.rich_style.color.get_truecolor().hex
        assert drawn != label.rich_style.bgcolor.get_truecolor().hex


@pytest.mark.parametrize(("size", "made_with", "resized", "then"), [
    ((80, 24), "-short", (120, 40), "-tall"), ((120, 40), "-tall", (80, 24), "-short")])
async def test_the_sign_in_screen_is_made_with_its_breakpoint_class(tmp_path, monkeypatch, size,
                                                                    made_with, resized, then):
    made: list[set[str]] = []
    take = ConsoleScreen._take_breakpoints

    def seen(screen: ConsoleScreen) -> None:
        take(screen)
        made.append(set(screen.classes))

    monkeypatch.setattr(ConsoleScreen, "_take_breakpoints", seen)
    app = StaffConsoleApp(Settings(home=tmp_path, server="http://127.0.0.1:9",
                                   server_allow_http=True))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert made[0] == {made_with}  # before its first Resize
        assert made_with in app.screen.classes
        await pilot.resize_terminal(*resized)
        await pilot.pause()
        assert then in app.screen.classes and made_with not in app.screen.classes


def _fill_of(svg: str, text: str) -> str:
    """The colour an exported screenshot draws `text` in."""
    fills = dict(re.findall(r"\.(terminal-[\w-]+) \{ fill: (#[0-9a-f]{6})", svg))
    found = re.search(r'<text class="(terminal-[\w-]+)"[^>]*>' + re.escape(text) + "<", svg)
    assert found, text
    return fills[found.group(1)]


_PROBE = """
import json, sys
from pathlib import Path
from staff_console.app import StaffConsoleApp
from staff_console.settings import Settings

class Probe(StaffConsoleApp):
    def on_ready(self):
        self.exit(sorted(m for m in sys.modules if m.startswith("staff_console")))

loaded = Probe(Settings(home=Path(sys.argv[1]), server="http://127.0.0.1:9",
                        server_allow_http=True)).run(headless=True, size=(80, 24))
print("@@loaded " + json.dumps(loaded))
"""

NOT_BEFORE_THE_FIRST_FRAME = (
    "staff_console.screens.search", "staff_console.screens.approvals",
    "staff_console.screens.customer", "staff_console.screens.commands",
    "staff_console.screens.session", "staff_console.widgets.format",
    "staff_console.domain.authority", "staff_console.app_start", "staff_console.api.remote",
    "staff_console.demo",
)


def test_the_first_frame_loads_only_what_the_sign_in_screen_needs(tmp_path):
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout[proc.stdout.rindex("@@loaded ") + len("@@loaded "):])
    assert "staff_console.screens.signin" in loaded
    assert [m for m in loaded if m.startswith(NOT_BEFORE_THE_FIRST_FRAME)] == []
