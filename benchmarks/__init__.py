"""Benchmarks: how fast the exporter reads, beside the generic tools (see run.py)."""
