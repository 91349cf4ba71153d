"""Benchmarks: scripts that measure, report and compare; never timing assertions in tests."""
