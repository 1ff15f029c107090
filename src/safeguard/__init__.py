"""Safeguard: self-hosted child-safety screening for online services."""

__version__ = "0.1.0"
