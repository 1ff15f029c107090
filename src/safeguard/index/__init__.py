"""Lookup structures for signal values: exact (hash table) and Hamming (256-bit radius)."""
