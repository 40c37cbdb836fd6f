"""A terminal that dies in the middle of an approval (run by test_crash.py, never by pytest).

    python crash_child.py '<json>'

It opens the store like a terminal and approves a request, but one function is wrapped from
the outside (no hook in the product code): the wrapper calls the real function, writes the
marker file and sleeps, so that the parent can SIGKILL it at a known point.

  mode "in_transaction": wraps services.common.append_events. The request and credential rows
      are updated and the events written, all uncommitted, when the marker appears.
  mode "after_commit" (PostgreSQL): wraps store.engine.seal_pending. The approval is committed,
      its events wait in the audit outbox, the seal has not started.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    args = json.loads(sys.argv[1])
    marker = Path(args["marker"])

    from staff_console.domain.authority import Actor, Role
    from staff_console.domain.clock import FixedClock, parse_instant
    from staff_console.domain.policy import Policy
    from staff_console.services import common
    from staff_console.services.backend import Backend
    from staff_console.services.requests import approve_request
    from staff_console.store import engine as engine_module
    from staff_console.store.engine import Store, make_engine
    from staff_console.store.keyring import Keyring

    def pause_after(original):
        def wrapper(*a, **kw):
            result = original(*a, **kw)
            marker.write_text("paused")
            time.sleep(120)  # the parent kills us here
            return result
        return wrapper

    if args["mode"] == "in_transaction":
        common.append_events = pause_after(common.append_events)
    else:
        original = engine_module.seal_pending

        def before_seal(*a, **kw):
            marker.write_text("paused")
            time.sleep(120)
            return original(*a, **kw)
        engine_module.seal_pending = before_seal

    url = args["db_url"]
    if url.startswith("postgresql"):
        engine = make_engine(url, application_name=args["app_name"])
    else:
        engine = make_engine(url)
    backend = Backend(store=Store(engine, Keyring(bytes.fromhex(args["key"]))), policy=Policy(),
                      password_time_cost=1, password_memory_kib=8192)
    actor = Actor(staff_id=args["staff_id"], employee_no=args["employee_no"], name="x",
                  branch_code=args["branch_code"], role=Role(args["role"]), terminal="crash")
    approve_request(backend, actor, args["request_id"], clock=FixedClock(parse_instant(args["now"])))
    marker.write_text("finished")  # must not happen: the parent kills us before


if __name__ == "__main__":
    main()
