"""The JSON body of a request to the console server. Standard library only: the early sign-in
(api/early_sign_in.py) sends one before the rest of the program is loaded."""

from __future__ import annotations

import json
from typing import Any


def json_body(document: Any) -> bytes:
    """`document` as UTF-8 JSON. Text that is not Unicode (a lone surrogate: undecodable bytes
    on a command line or in an environment variable) is sent escaped, as JSON allows, so the
    server refuses it naming its field, as embedded mode does, instead of the terminal
    failing to encode it."""
    text = json.dumps(document, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(document).encode("ascii")
