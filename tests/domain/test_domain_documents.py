"""Reading outside documents (domain/documents.py): every way a JSON or TOML text can be
unreadable is one exception, nested-too-deep included (RecursionError is not a ValueError)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.domain.documents import Unreadable, read_json, read_toml

DEEP = sys.getrecursionlimit() * 2


def test_a_document_reads_as_its_value():
    assert read_json('{"a": [1, "가"]}') == {"a": [1, "가"]}
    assert read_json(b'{"a": null}') == {"a": None}
    assert read_toml('db_url = "sqlite://"\n[x]\ny = 1\n') == {"db_url": "sqlite://",
                                                              "x": {"y": 1}}


@pytest.mark.parametrize("text", [
    "[" * DEEP + "]" * DEEP,              # deeper than Python's stack
    '{"a":' * DEEP + "1" + "}" * DEEP,
    b'{"a": "\xff\xfe"}',                  # bytes that are not UTF-8
    "{'a': 1}", "", "nan?", '{"a": 1',
])
def test_every_unreadable_json_is_one_exception(text):
    with pytest.raises(Unreadable):
        read_json(text)


@pytest.mark.parametrize("text", [
    "a = " + "[" * DEEP + "]" * DEEP,
    "a = " + "{b = " * DEEP + "1" + "}" * DEEP,
    "a = ", "[a\n", "a = 1\na = 2\n",
])
def test_every_unreadable_toml_is_one_exception(text):
    with pytest.raises(Unreadable):
        read_toml(text)


@given(st.text(alphabet=st.sampled_from('[]{}":,1a \\u'), max_size=60))
def test_any_text_reads_or_is_unreadable(text):
    for read in (read_json, read_toml):
        try:
            read(text)
        except Unreadable:
            pass


def test_unreadable_is_a_value_error():
    """Callers that caught ValueError (an OSError or ValueError fallback) still catch it."""
    assert issubclass(Unreadable, ValueError)
