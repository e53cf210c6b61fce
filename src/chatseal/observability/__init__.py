"""Operating ChatSeal: structured logs (and, later, metrics)."""
