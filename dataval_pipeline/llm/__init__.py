"""Stage 3: themes and grounded facts from the anonymised text, through an OpenAI-compatible endpoint."""
