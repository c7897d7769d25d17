"""Revision files, one per schema change; Alembic loads them by path, in `down_revision` order."""
