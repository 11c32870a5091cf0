"""Runnable examples built on agentkit (run them with ``python -m examples.<name>``)."""
