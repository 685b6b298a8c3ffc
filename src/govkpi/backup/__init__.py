"""Backup and restore for operators: `govkpi backup FILE`, `govkpi restore FILE` (docs/operations.md).

archive: the file's format (a manifest first, then the members it lists with their digests); database: a
consistent dump of SQLite or PostgreSQL and its load into an empty database; contents: what the manifest says of
the data (counts, the audit chain's head, the audit key's fingerprint); operations: the two commands' work.
"""
