"""What can be wrong with the audit trail, as stable codes: the CLI prints them (`audit verify
--json`), the app turns them into words (`audit.problem.<CODE>` in the catalogs), tests assert
them. The store finds them (store/audit.py `verify_chain`)."""

from __future__ import annotations

from enum import StrEnum


class ChainProblem(StrEnum):
    EDITED = "EDITED"  # an event's content no longer matches its hash
    DELETED = "DELETED"  # numbers are missing inside the chain
    REORDERED = "REORDERED"  # an event does not link to the one before it (moved or replaced)
    INSERTED = "INSERTED"  # an event lies beyond the chain head
    TRUNCATED = "TRUNCATED"  # events the head or an anchor vouches for are gone or rewritten
    HEAD_MISSING = "HEAD_MISSING"  # the head row was deleted
    HEAD_MISMATCH = "HEAD_MISMATCH"  # the head fails its MAC (reset or moved by SQL)
    BAD_ANCHOR = "BAD_ANCHOR"  # an anchor line that is malformed, forged or another store's


class AnchorFault(StrEnum):
    FORMAT = "FORMAT"  # not an anchor line
    MAC = "MAC"  # its MAC fails under this store's key (forged, edited, or another key)
    STORE = "STORE"  # signed with this key but for another store id
