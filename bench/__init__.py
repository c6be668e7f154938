"""`make bench`: load and page speed at agency scale (python -m bench.run)."""
