"""From content to decision: signals, index lookup, policy, audit record."""
