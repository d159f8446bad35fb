"""Rosters: the jurisdiction tree, people and their appointments (who is responsible where)."""
