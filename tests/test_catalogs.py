"""The gettext catalogs (staff_console/i18n/locale): both languages hold the same keys with the
same fields, the compiled .mo files are those of the .po files, every key the code names exists,
every entry is used by the code (keys extracted with Babel; the dynamic families from the
domain's enums and codes), and every text renders in both languages with no leftover field,
no key and no printed-both-ways particle such as 을(를)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from staff_console import i18n
from staff_console.domain.authority import Authority, DelegationState, Role
from staff_console.domain.channels import Channel, Method
from staff_console.domain.eligibility import VerificationKind
from staff_console.domain.errors import CODES
from staff_console.domain.hangul import PARTICLES
from staff_console.domain.ids import CustomerType, Nationality
from staff_console.domain.matrix import Verification
from staff_console.domain.states import CredentialStatus, RequestKind, RequestStatus, RevocationReason
from staff_console.domain.trail import ChainProblem

PACKAGE = Path(i18n.__file__).resolve().parents[1]
LANGUAGES = i18n.LANGUAGES

# Keys made from a value at run time: prefix -> every value the domain can hand over.
FAMILIES: dict[str, frozenset[str]] = {
    prefix: frozenset(values) for prefix, values in {
        "errors": CODES,
        "status": CredentialStatus,
        "request_status": RequestStatus,
        "kind": RequestKind,
        "reason": RevocationReason,
        "role": Role,
        "channel": Channel,
        "authority": Authority,
        "method": Method,
        "evidence": VerificationKind,
        "nationality": Nationality,
        "customer_type": CustomerType,
        "audit.problem": ChainProblem,
        "delegation.state": DelegationState,
        "matrix.verification": Verification,
    }.items()
}


def _refusal_fields() -> frozenset[str]:
    """The field names the code hands to a refusal (the `field.*` family): the first argument
    of invalid() and not_found(), `field=` of ConsoleError, and a constant passed as the
    `field` parameter of any function of the package (clean_text(note, "note"))."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.rglob("*.py")]
    position = {"invalid": 0, "not_found": 0}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.args]
                if "field" in names:
                    position.setdefault(node.name, names.index("field"))
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in position and name != "ConsoleError":
                continue
            arguments = [k.value for k in node.keywords if k.arg == "field"]
            if name in position and position[name] < len(node.args):
                arguments.append(node.args[position[name]])
            found |= {a.value for a in arguments
                      if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return frozenset(i18n.code_key("field", f).split(".", 1)[1] for f in found)


FAMILIES["field"] = _refusal_fields()
PRINTED_BOTH_WAYS = re.compile(r"\((을|를|이|가|은|는|과|와|로|으)\)")
# A particle written after a field instead of its spec ({name}을 rather than {name:을}).
LITERAL_PARTICLE = re.compile(r"\}(을|를|이|가|은|는|과|와|으로|로)(?![\uac00-\ud7a3])")


def _po(language: str) -> dict[str, str]:
    with open(Path(i18n.mo_path(language)).with_suffix(".po"), "rb") as handle:
        catalog = read_po(handle)
    assert not [m.id for m in catalog if m.id and m.fuzzy], f"fuzzy entries in {language}"
    return {m.id: m.string for m in catalog if m.id}


@pytest.fixture(scope="module")
def catalogs() -> dict[str, dict[str, str]]:
    return {language: _po(language) for language in LANGUAGES}


def _fields(text: str) -> dict[str, str]:
    return {name: spec for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


def _element_of(key: str) -> tuple[str, str] | None:
    """(family, value) if the key belongs to a family: `channel.mts.long` -> (channel, mts).
    A refusal's details (`errors.detail.*`) are named by the code, not by a code's value."""
    if key.startswith("errors.detail."):
        return None
    for prefix in sorted(FAMILIES, key=len, reverse=True):
        if key.startswith(prefix + "."):
            return prefix, key[len(prefix) + 1:].split(".")[0]
    return None


# ---------------------------------------------------------------- the code's keys

def _babel_keys() -> set[str]:
    """The first argument of every t("...") call in the package, by Babel's extractor."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords={"t": None}):
        key = message[0] if isinstance(message, tuple) else message
        if key:
            found.add(key)
    return found


def _scan_code() -> tuple[set[str], list[re.Pattern[str]], set[str]]:
    """Every string constant of the package (a key held in a variable or a Binding before it
    reaches t), the families the code builds: t(f"delegation.col.{key}") as a pattern,
    t_opt("status", value) as status.*; and what Babel makes of t("a" if c else "b"): "ab"."""
    constants: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    joined: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t"
                    and node.args and isinstance(node.args[0], ast.IfExp)):
                branches = (node.args[0].body, node.args[0].orelse)
                if all(isinstance(b, ast.Constant) for b in branches):
                    joined.add("".join(b.value for b in branches))
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else r"[^\s]+"
                         for v in node.values]
                if parts and parts[0] != r"[^\s]+" and "\\." in parts[0]:
                    patterns.append(re.compile("".join(parts)))
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t_opt"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                patterns.append(re.compile(re.escape(node.args[0].value) + r"\.[^\s]+"))
    return constants, patterns, joined


@pytest.fixture(scope="module")
def code() -> tuple[set[str], set[str], list[re.Pattern[str]]]:
    constants, patterns, joined = _scan_code()
    return _babel_keys() - joined, constants, patterns


# In a Korean text, the Latin words a person may read: codes, keys, product and file names
# (anything else Latin is an English leftover).
ALLOWED_LATIN = frozenset({
    "MTS", "HTS", "ID", "Face", "CSV", "KST", "YYYY", "YYMMDD", "MM", "DD", "HH", "Ctrl", "Enter",
    "Tab", "Esc", "PgUp", "PgDn", "Shift", "Alt", "Y", "N", "OTP", "SMS", "MY", "PIN", "STAFF",
    "CONSOLE", "DB", "staff", "console", "db", "init", "config", "toml", "Idempotency", "Key",
    "customer", "seed", "page", "before", "audit", "anchor", "head", "on", "off", "URL", "https",
    "as",  # options a person types: --as, --page
})
LATIN_WORD = re.compile(r"[A-Za-z]+")
PRINTED_PLURAL = re.compile(r"\w\((s|es)\)")  # account(s): the English 을(를)


def test_the_korean_catalog_has_no_english_leftovers(catalogs):
    """Every Latin word of a Korean text (outside its fields) is an allowed term; every English
    text has words (not only a field) where the Korean one does."""
    leftovers = {}
    for key, text in catalogs["ko"].items():
        words = set(LATIN_WORD.findall(re.sub(r"\{[^}]*\}", "", text))) - ALLOWED_LATIN
        words = {w for w in words if len(w) > 1}  # a single letter is a key (a, r, y)
        if words:
            leftovers[key] = sorted(words)
    assert leftovers == {}


def test_both_languages_have_the_same_keys_and_fields(catalogs):
    ko, en = catalogs["ko"], catalogs["en"]
    assert sorted(set(ko) ^ set(en)) == []
    for key, text in ko.items():
        assert set(_fields(text)) == set(_fields(en[key])), key
        assert all(v for v in ko.values()) and all(v for v in en.values())


PLURAL_SPEC = re.compile(r"[a-z]+\|[a-z]+")  # {count:account|accounts}


def test_format_specs_are_particles_in_korean_and_plurals_in_english(catalogs):
    for language, messages in catalogs.items():
        for key, text in messages.items():
            for name, spec in _fields(text).items():
                assert not spec or (language == "ko" and spec in PARTICLES) or (
                    language == "en" and PLURAL_SPEC.fullmatch(spec)), (language, key, name)
            if language == "ko":
                assert not LITERAL_PARTICLE.search(text), key


def test_the_compiled_catalogs_are_those_of_the_po_files(catalogs):
    """The .mo files run; the .po files are edited. After an edit:
    pybabel compile -d staff_console/i18n/locale"""
    for language in LANGUAGES:
        assert i18n._read(language) == catalogs[language], f"{language}: .mo is stale"


def test_every_key_the_code_names_exists(catalogs, code):
    babel_keys, constants, _patterns = code
    named = babel_keys | {c for c in constants if c.startswith(("keys.", "errors.detail."))
                          and not c.endswith(".")}
    assert sorted(named - set(catalogs["ko"])) == []


def test_every_family_value_is_translated(catalogs):
    missing = [f"{prefix}.{value}" for prefix, values in FAMILIES.items() for value in values
               if f"{prefix}.{value}" not in catalogs["ko"]]
    assert missing == []


def test_every_entry_is_used(catalogs, code):
    babel_keys, constants, patterns = code
    unused = []
    for key in catalogs["ko"]:
        if key in babel_keys or key in constants:
            continue
        element = _element_of(key)
        if element is not None:
            if element[1] not in FAMILIES[element[0]]:
                unused.append(key)  # not a value the domain has
        elif not any(p.fullmatch(key) for p in patterns):
            unused.append(key)
    assert unused == []


# ---------------------------------------------------------------- rendering

SAMPLES = {"ko": ("홍길동", "김철수"), "en": ("Smith", "Lee")}  # a final consonant, a vowel


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_renders_with_sample_values(catalogs, language):
    keys = set(catalogs["ko"])
    for key, text in catalogs[language].items():
        for sample in SAMPLES[language]:
            out = i18n.render(text, {name: sample for name in _fields(text)})
            assert "{" not in out and "}" not in out, (key, out)
            assert not PRINTED_BOTH_WAYS.search(out), (key, out)
            assert not PRINTED_PLURAL.search(out), (key, out)
            assert not [k for k in keys if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", out)], (
                key, out)


def test_a_particle_follows_the_value(monkeypatch):
    monkeypatch.setattr(i18n, "_language", "ko")
    assert i18n.t("withdraw.done", id=2) == "요청 #2를 철회했습니다."
    assert i18n.t("withdraw.done", id=3) == "요청 #3을 철회했습니다."
    assert "세션 시간이 10으로" in i18n.t("policy.approved", id=1, name="세션 시간", new="10")


def test_counts_are_grouped_and_ids_are_not(monkeypatch):
    monkeypatch.setattr(i18n, "_language", "ko")
    assert i18n.t("withdraw.done", id=12345) == "요청 #12345를 철회했습니다."
    assert i18n.t("customer.accounts", count=1234) == "계좌 1,234개"
    monkeypatch.setattr(i18n, "_language", "en")
    assert i18n.t("customer.accounts", count=1) == "1 account"
    assert i18n.t("customer.accounts", count=2) == "2 accounts"
    assert i18n.t("customer.accounts", count=1000) == "1,000 accounts"


# ---------------------------------------------------------------- misses

def test_a_missing_key_or_field_raises_under_the_tests(monkeypatch):
    monkeypatch.setenv(i18n.STRICT_ENV, "1")
    with pytest.raises(i18n.MissingMessage):
        i18n.t("no.such.key")
    with pytest.raises(i18n.MissingMessage):
        i18n.t("withdraw.done", request=2)  # the text's field is `id`
    assert i18n.t("no.such.key", "a default") == "a default"  # a caller's explicit default


def test_a_person_sees_something_safe_in_production(monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr(i18n.log, "warning", lambda message, *args: logged.append(message % args))
    monkeypatch.setenv(i18n.STRICT_ENV, "0")
    monkeypatch.setattr(i18n, "_language", "en")
    assert i18n.t("no.such.key") == "no.such.key"
    assert "{id}" in i18n.t("withdraw.done", request=2)  # the field left as it is written
    assert any("no.such.key" in line for line in logged) and any("'id'" in line for line in logged)
