"""The SQLite backend: one file, one process writing at a time (WAL mode lets readers in), FTS5 for search."""
