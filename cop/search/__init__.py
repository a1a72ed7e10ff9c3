"""Full-text search: a Whoosh index fed from a transactional outbox, filtered by permissions."""
