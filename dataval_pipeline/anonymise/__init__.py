"""Stage 2, the privacy boundary: French personal data replaced by typed, numbered placeholders."""
