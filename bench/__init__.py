"""Benchmarks: each prints its figures and writes bench/results/NAME.json (see README.md)."""
