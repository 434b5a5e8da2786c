"""Reliability runs against real processes on loopback: `python -m soak --quick|--full`."""
