"""Runbook flows (rotate, teardown): every step reads state first, checks its result, and is safe to rerun."""
