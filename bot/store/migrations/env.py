"""Alembic's entry point; `bot.store.migrations.config` hands it the connection to migrate."""

from alembic import context

context.configure(connection=context.config.attributes["connection"])
with context.begin_transaction():
    context.run_migrations()
