"""Operations: health check, backups, query counting for benchmarks."""
