"""Administration: communities, appointments, accounts and the audit log."""
