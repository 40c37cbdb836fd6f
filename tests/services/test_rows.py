"""The plain rows the hot use cases build (services/common.py) carry every column of their
table, in order: a column added to the table must be added to the row too, or views would
silently lose it."""

from __future__ import annotations

from staff_console.services.common import _CREDENTIAL_FIELDS, CredentialRow, RequestRow
from staff_console.store.tables import Credential, Request


def test_a_credential_row_has_every_credential_column():
    columns = tuple(Credential.__table__.columns.keys())
    assert CredentialRow._fields == columns
    assert _CREDENTIAL_FIELDS == columns


def test_a_request_row_has_every_request_column():
    assert RequestRow._fields == tuple(Request.__table__.columns.keys())
