"""`revframe sla` (being built)."""
