"""Benchmarks: `python -m benchmarks` compares agentkit with its peers (see docs/performance.md);
`python -m benchmarks.codec`, `.turnaround` and `.soak` run the others."""
