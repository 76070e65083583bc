"""The PostgreSQL backend: several paperboy processes sharing one database (psycopg 3, an optional extra).

Conditional claims (one `UPDATE … RETURNING` per digest) and advisory locks keep processes from doing the same
work twice; full-text search is a weighted `tsvector` column with a GIN index, queried with a `tsquery`
compiled from the same syntax tree.
"""
