"""Alembic environment: the URL comes from the caller (models.migrate) or from the app's settings."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

import models
from models.db import make_engine
from services.config import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get('configure_logging', True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option('sqlalchemy.url') or get_settings().sqlalchemy_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(conn: Connection) -> None:
    """Run the migrations on `conn`. On SQLite, foreign keys are off meanwhile (SQLite's own procedure for
    changing a table): a table is changed by building a new one and dropping the old, and with foreign keys on,
    dropping `bookings` would delete every ticket (ON DELETE CASCADE). The pragma only takes effect outside a
    transaction; the keys are checked before the migrations commit."""
    sqlite = conn.dialect.name == 'sqlite'
    if sqlite:
        conn.exec_driver_sql('PRAGMA foreign_keys=OFF')
        conn.commit()
    try:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = conn.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
                if broken:
                    raise RuntimeError(f'migration left {len(broken)} rows whose foreign keys point nowhere')
    finally:
        if sqlite:
            conn.rollback()
            conn.exec_driver_sql('PRAGMA foreign_keys=ON')
            conn.commit()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option('sqlalchemy.url') or get_settings().sqlalchemy_url)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
