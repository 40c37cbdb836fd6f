"""The sizes and languages every screen and dialog is snapshotted in (issue 15 item 3): a
terminal of 80x24 and one of 120x40, Korean and English. `@each_view` parametrises a snapshot
test over both (its arguments `size` and `language`); the snapshot's name ends with e.g.
`[80x24-ko]`."""

from __future__ import annotations

import pytest

NARROW = (80, 24)
WIDE = (120, 40)
SIZES = {"80x24": NARROW, "120x40": WIDE}
LANGUAGES = ("ko", "en")


def each_view(test):
    """Run `test(size=..., language=...)` at each size in each language."""
    test = pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))(test)
    return pytest.mark.parametrize("language", LANGUAGES)(test)
