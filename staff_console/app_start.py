"""Starting the console: what the app shows of the store it opened (the training mark, the
demo's accounts) and the demo's own store. Kept apart from app.py, the shell; the demo package
is imported only when the demo runs."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .domain.clock import SEOUL, FixedClock
from .domain.errors import ConsoleError
from .files import private_dir
from .i18n import t

if TYPE_CHECKING:
    from .settings import Settings


def training_mark(backend) -> str | None:
    """The permanent mark of a training store (every screen's top line): 훈련 / TRAINING, and
    the fixed date and time when the clock is fixed."""
    if not getattr(backend, "training", False):
        return None
    clock = backend.clock
    if isinstance(clock, FixedClock):
        fixed = clock.now().astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
        return t("app.training_fixed", at=fixed)
    return t("app.training")


def prepare_demo(backend, clock) -> str | None:
    """The demo data if the (training) store has none yet. Returns the hint shown on the
    sign-in screen (the demo accounts and their password)."""
    from .demo import load as demo

    try:
        demo.load_demo(backend, clock=clock)
    except ConsoleError as exc:
        if exc.code != "DUPLICATE":  # DUPLICATE: the demo data is already there
            raise
    return demo_hint()


def demo_hint() -> str | None:
    """The demo accounts and their password, for the sign-in screen of the demo."""
    from .demo import DEMO_PASSWORD

    accounts = demo_accounts()
    return t("signin.demo_hint", accounts=accounts, password=DEMO_PASSWORD) if accounts else None


def demo_accounts() -> str:
    """The demo accounts to show on the sign-in screen, from the packaged demo_staff.csv."""
    import csv

    from .data import DEMO_STAFF, resource

    rows = list(csv.DictReader(resource(DEMO_STAFF).read_text(encoding="utf-8").splitlines()))
    # The first branch's manager, its delegate-to-be and a teller: the walkthrough's people.
    shown = []
    for role in ("manager", "teller"):
        for row in rows:
            if (row.get("role") or "").strip() == role:
                shown.append(f"{row['employee_no'].strip()} {row['name'].strip()}"
                             f"({t('role.' + role)})")
                if role == "manager" or len(shown) >= 3:
                    break
    return ", ".join(shown)


def demo_settings(settings: Settings) -> Settings:
    """The demo runs on its own SQLite file beside the configured data (never on the real
    store): `<home>/demo.sqlite3`, or `STAFF_CONSOLE_DEMO_DB` if set."""
    from dataclasses import replace

    url = os.environ.get("STAFF_CONSOLE_DEMO_DB") or f"sqlite:///{settings.home / 'demo.sqlite3'}"
    private_dir(settings.home)  # 0700: the demo store lives there too
    return replace(settings, db_url=url)
