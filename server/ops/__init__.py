"""Operations: database backup and restore, retention, metrics, health and logs (issue 17)."""
