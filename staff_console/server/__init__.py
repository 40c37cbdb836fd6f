"""The console server (issue 14): the one process that holds the store URL and the master key;
terminals and channel back-ends are its clients over HTTPS. app.py builds the ASGI application,
cli/serve.py runs it under uvicorn (`staff-console serve`).

`serve --threads`' values live here, light to import (the CLI declares the option with them;
server/workers.py uses them)."""

DEFAULT_THREADS = 4  # staff and channel calls at once per server process
THREADS_BOUNDS = (1, 64)
THREADS_VARIABLE = "STAFF_CONSOLE_SERVER_THREADS"  # how `serve` hands --threads to its workers
