"""Agent runtimes beyond the in-process one (``cantata.runtimes.grpc``: the distributed runtime)."""
