"""The demo: deterministic branches, staff, customers, accounts and credentials in realistic
states, plus fixed customers for every trainer case (docs/demo.md).

- `cases`: the trainer cases (홍길동 D0000001 ...), one `Case` each, at fixed customer numbers.
- `pools`: what random customers are drawn from (names, phones, browsers ...).
- `generator`: the rows, as dicts keyed by column name, chunk by chunk.
- `parallel`: the chunks made in forked processes while the store writes the previous ones.
- `load`: the use case (`load_demo`); the store's `bulk` module does the SQL.

This module stays light: the app imports `DEMO_PASSWORD` from it at start.
"""

DEMO_PASSWORD = "Demo12345!"  # every demo staff member; for the demo only
