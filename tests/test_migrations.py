"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import models
from models.migrate import upgrade


def _assert_matches_models(url: str) -> None:
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert differences == []
    assert {'users', 'theatres', 'shows', 'show_tags', 'bookings', 'alembic_version'} <= tables


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    _assert_matches_models(f'sqlite:///{tmp_path / "migrated.sqlite3"}')


def test_migrations_build_the_models_schema_on_postgres(fresh_postgres_url):
    _assert_matches_models(fresh_postgres_url)
