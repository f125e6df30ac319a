"""django-pggit's performance suite: ``make bench`` (``python -m benchmarks``).

Every figure is printed beside a baseline measured on the same server in the same run, and
their ratio; targets (from the benchmark issue) are goals reported as PASS/MISS, never asserted.
"""
