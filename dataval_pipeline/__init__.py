"""dataval-pipeline: EHPAD inspection reports (PDF) turned into versioned data products."""

__version__ = "0.1.0"
