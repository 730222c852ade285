"""Names of the loggers cantata writes to.

* :data:`ROOT_LOGGER_NAME` receives diagnostic messages (warnings, swallowed errors).
* :data:`EVENT_LOGGER_NAME` receives structured events from :mod:`cantata.logging`.
* :data:`TRACE_LOGGER_NAME` receives verbose developer traces.
"""

from __future__ import annotations

from typing import Final

ROOT_LOGGER_NAME: Final = "cantata"
"""Name of the root logger for diagnostic messages."""

EVENT_LOGGER_NAME: Final = "cantata.events"
"""Name of the logger that receives structured events (see :mod:`cantata.logging`)."""

TRACE_LOGGER_NAME: Final = "cantata.trace"
"""Name of the logger that receives verbose developer traces."""
