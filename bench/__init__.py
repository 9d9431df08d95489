"""Benchmarks of the OTS STI Monitor: `python -m bench [--quick]` (see README, *Performance*).

Speed is measured here, never asserted in tests. The machines are shared and noisy, so every comparison is a ratio
of two things timed side by side in the same run, repeated, and the median is what is reported.
"""
