"""The append-only audit trail: who changed or read what, when, from where."""
