"""Stage 1: report files in, one ``raw_reports`` row each (text, or a reason for rejecting)."""
