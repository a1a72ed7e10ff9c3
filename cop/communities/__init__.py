"""Communities of practice: domain, members, sponsors and lifecycle."""
