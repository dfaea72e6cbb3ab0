"""`revframe score` (being built)."""
