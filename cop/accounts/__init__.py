"""Accounts: registration, sessions, passwords and profiles."""
