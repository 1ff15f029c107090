"""Lookup structures for signal values: exact radius search over 256-bit codes."""
