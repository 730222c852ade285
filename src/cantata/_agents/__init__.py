"""Agent base classes (re-exported from :mod:`cantata`)."""
