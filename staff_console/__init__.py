"""staff_console: the branch staff console for mobile simple authentication (간편인증)."""

import logging

__version__ = "0.1.0"

# Until logs.configure gives them a file, the package's records go nowhere: without a handler
# Python's last resort would print them, tracebacks included, on the person's stderr (a
# command refused before its settings are read, a read-only home).
logging.getLogger(__name__).addHandler(logging.NullHandler())
