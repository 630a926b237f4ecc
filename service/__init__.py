"""Tactful: rewrites sales follow-ups into buyer-focused, low-pressure messages."""

__version__ = "0.1.0"
