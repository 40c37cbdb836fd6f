"""Persistence: SQLModel tables, the engine, transactions with retry, the audit chain."""
