"""The data pillar: quality scans and scorecards, duplicate detection, reversible merges, lead-to-account matching."""
