"""Atom feeds per community and per tag, readable with a per-user secret token."""
