"""Apply the Alembic migrations: on every start, and from tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / 'alembic.ini'))
    config.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    config.attributes['configure_logging'] = False
    return config


def upgrade(url: str, revision: str = 'head') -> None:
    command.upgrade(alembic_config(url), revision)
