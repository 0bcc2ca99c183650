"""Branches, users, roles and access tokens."""
