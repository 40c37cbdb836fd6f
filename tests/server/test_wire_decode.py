"""api/wire.py `decode`: a value rebuilt by its type hint, or INVALID_INPUT naming the value's
exact place (a server's argument, a client's answer). The decoders are made once per hint;
these check what each refuses and where it says it is, at every depth."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from staff_console.api.wire import decode, encode
from staff_console.domain.errors import ConsoleError
from staff_console.services.views import VerifyResult


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass(frozen=True)
class Leaf:
    name: str
    count: int = 0
    colour: Colour | None = None


@dataclasses.dataclass(frozen=True)
class Tree:
    at: datetime
    leaves: list[Leaf]
    pairs: tuple[tuple[int, str], ...] = ()
    labels: dict[str, int] = dataclasses.field(default_factory=dict)
    day: date | None = None
    extra: Any = None


@dataclasses.dataclass(frozen=True)
class Node:
    """Names itself: its decoder is made before its fields' are."""

    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


AT = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
TREE = Tree(at=AT, leaves=[Leaf("a"), Leaf("b", 2, Colour.BLUE)], pairs=((1, "x"), (2, "y")),
            labels={"k": 1}, day=date(2026, 12, 7), extra={"free": [1, None]})


def refusal(hint, value, field="body") -> tuple[str, str]:
    with pytest.raises(ConsoleError) as caught:
        decode(hint, value, field)
    assert caught.value.code == "INVALID_INPUT"
    return caught.value.field, caught.value.message


def test_a_view_round_trips():
    document = json.loads(json.dumps(encode(TREE)))
    assert decode(Tree, document) == TREE
    tree = Node(1, [Node(2, [Node(3)]), Node(4)])
    assert decode(Node, encode(tree)) == tree
    verdict = VerifyResult(ok=False, count=3, first_bad_seq=2, problem="hash", missing=(2, 3),
                           bad_anchors=((1, "signature"),))
    assert decode(VerifyResult, encode(verdict)) == verdict


@pytest.mark.parametrize(("change", "field", "expected"), [
    (lambda d: d["leaves"][1].update(count="2"), "answer.leaves[1].count", "a whole number"),
    (lambda d: d["leaves"][0].update(count=True), "answer.leaves[0].count", "a whole number"),
    (lambda d: d["leaves"][1].update(colour="green"), "answer.leaves[1].colour",
     "one of red, blue"),
    (lambda d: d["leaves"][0].update(name=None), "answer.leaves[0].name", "a value"),
    (lambda d: d["leaves"][0].update(name=5), "answer.leaves[0].name", "text"),
    (lambda d: d["leaves"][0].update(nick="x"), "answer.leaves[0].nick", "no such field"),
    (lambda d: d["leaves"][1].pop("name"), "answer.leaves[1].name", "a value"),
    (lambda d: d["leaves"].append("leaf"), "answer.leaves[2]", "an object"),
    (lambda d: d.update(leaves={}), "answer.leaves", "an array"),
    (lambda d: d.update(leaves=None), "answer.leaves", "a value"),
    (lambda d: d["pairs"][1].__setitem__(0, "2"), "answer.pairs[1][0]", "a whole number"),
    (lambda d: d["pairs"][0].append("z"), "answer.pairs[0]", "2 items"),
    (lambda d: d["labels"].update(n="1"), "answer.labels.n", "a whole number"),
    (lambda d: d.update(labels=[]), "answer.labels", "an object"),
    (lambda d: d.update(at="2026-12-07T01:02:03"), "answer.at", "a time with its UTC offset"),
    (lambda d: d.update(at="yesterday"), "answer.at", "an ISO-8601 text"),
    (lambda d: d.update(day=20261207), "answer.day", "an ISO-8601 text"),
])
def test_each_refusal_names_the_place(change, field, expected):
    document = json.loads(json.dumps(encode(TREE)))
    change(document)
    assert refusal(Tree, document, "answer") == (field, f"{field}: expected {expected}")


def test_the_first_unknown_and_the_first_missing_field_by_name():
    assert refusal(Leaf, {"zz": 1, "aa": 2, "name": "x"})[0] == "body.aa"
    assert refusal(Tree, {"leaves": []})[0] == "body.at"  # declared first


def test_what_may_be_absent_or_anything():
    assert decode(Tree, {"at": AT.isoformat(), "leaves": []}) == Tree(at=AT, leaves=[])
    assert decode(Leaf | None, None) is None
    assert decode(Any, None) is None
    assert decode(tuple, [1, "a"]) == (1, "a")
    assert decode(float, 2) == 2.0 and isinstance(decode(float, 2), float)
    assert decode(Path, "/tmp/x") == Path("/tmp/x")
    assert refusal(float, True)[1] == "body: expected a number"


def test_a_union_tries_each_and_reports_the_last():
    assert decode(int | str, "x") == "x"
    assert decode(int | str, 3) == 3
    assert refusal(int | str, 1.5) == ("body", "body: expected text")
    assert refusal(int | str, None) == ("body", "body: expected a value")


def test_an_unknown_hint_is_the_program_s_error():
    with pytest.raises(TypeError):
        decode(set[int], [1])


@given(st.lists(st.integers(min_value=-10, max_value=10), max_size=8),
       st.integers(min_value=0, max_value=7))
def test_a_bad_item_anywhere_is_named_by_its_index(values, bad):
    document = {"value": 0, "children": [{"value": v} for v in values]}
    assert decode(Node, document) == Node(0, [Node(v) for v in values])
    if bad < len(values):
        document["children"][bad]["value"] = str(values[bad])
        assert refusal(Node, document)[0] == f"body.children[{bad}].value"
