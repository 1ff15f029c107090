"""Children's accounts: age bands from assurance outcomes, child-safety policy answers."""
