"""Adapters: the only place where SDKs, SQLAlchemy and HTTP clients are used by the service."""
