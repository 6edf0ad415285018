"""Findings (écarts, remarques) and the measures that answer them, read from any house style."""
