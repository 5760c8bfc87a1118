"""Persistence: engine set-up, the seed's tables, repository functions, migrations.

Repository functions take a Session and never commit; the caller owns the transaction.
"""
