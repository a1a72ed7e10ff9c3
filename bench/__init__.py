"""Benchmarks: the page harness (``python -m bench.run``), the load test and the search micro-benchmark."""
