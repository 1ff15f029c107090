"""Reports of confirmed items to authorities (NCMEC's CyberTipline, the UK's NCA): the
adapters, the report state machine, and what the moderator UI shows before sending."""
