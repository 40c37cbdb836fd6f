"""Files the package carries (read with importlib.resources, so a wheel works like a checkout).

- `service_matrix.csv`: the service matrix of DOMAIN.md section 4 (data, not code);
- `demo_branches.csv`, `demo_staff.csv`: the demo's branches and staff;
- `common_passwords.txt`: passwords refused for staff (source and licence in its header).

`resource(name)` is the one way the code reaches them: a missing file is an error at once
(tests/test_packaging.py checks that every name here is in the wheel).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

SERVICE_MATRIX = "service_matrix.csv"
DEMO_BRANCHES = "demo_branches.csv"
DEMO_STAFF = "demo_staff.csv"
COMMON_PASSWORDS = "common_passwords.txt"
FILES = (SERVICE_MATRIX, DEMO_BRANCHES, DEMO_STAFF, COMMON_PASSWORDS)


def resource(name: str) -> Traversable:
    """The packaged file `name` (one of FILES)."""
    if name not in FILES:
        raise ValueError(f"not a packaged data file: {name!r}")
    return files(__name__).joinpath(name)
