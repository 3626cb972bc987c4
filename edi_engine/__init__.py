"""edi-engine: credit balance management over HIPAA X12 835/837."""

__version__ = "0.1.0"
