"""Salesperson visits scored against the service standard's checklists, with offline-first sync and photos."""
