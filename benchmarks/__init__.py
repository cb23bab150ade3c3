"""Side-by-side benchmarks of aktuar against peer libraries (``make bench`` writes BENCHMARKS.md)."""
