"""Benchmarks: run one with `python -m benchmarks.<name>`; each prints its numbers and a floor to compare."""
