"""One router per resource; registers share one builder (registers.py)."""
