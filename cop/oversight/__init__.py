"""Oversight: the sponsor portfolio, community reports (with CSV and print) and business objectives."""
