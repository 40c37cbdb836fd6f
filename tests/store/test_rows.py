"""The plain rows the use cases build (store/credentials.py, store/requests.py) carry every
column of their table, in order: a column added to the table must be added to the row too, or
views would silently lose it."""

from __future__ import annotations

from staff_console.store.credentials import CREDENTIAL, CredentialRow
from staff_console.store.requests import REQUEST, RequestRow


def test_a_credential_row_has_every_credential_column():
    assert CredentialRow._fields == tuple(CREDENTIAL.columns.keys())


def test_a_request_row_has_every_request_column():
    assert RequestRow._fields == tuple(REQUEST.columns.keys())
