"""Banks of known signal values: lists that block or send to review, and safelists."""
