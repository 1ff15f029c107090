"""Safe decoding of uploaded media."""
