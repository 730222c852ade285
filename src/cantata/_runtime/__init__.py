"""The runtime (re-exported from :mod:`cantata`)."""
