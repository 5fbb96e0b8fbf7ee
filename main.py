"""TicketShow: `python main.py` serves the app; `python main.py COMMAND --help` for the other commands."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import logging
import os
import sys

from nicegui import ui

from models import db
from models.db import utcnow
from models.migrate import upgrade
from services import auth, cache, demo, exports, sessions, throttle
from services.config import Settings, get_settings
from services.errors import DomainError
from services.kv import KV

log = logging.getLogger('ticketshow')


def prepare(settings: Settings) -> None:
    """Everything a process needs before it serves or runs a command: folders, schema, sessions."""
    settings.ensure_var_dir()
    upgrade(settings.sqlalchemy_url)
    db.configure(settings.sqlalchemy_url)
    kv = KV(settings.redis_url or None, prefix=settings.redis_prefix)
    sessions.configure(
        idle_seconds=settings.session_idle_minutes * 60, max_seconds=settings.session_max_hours * 3600, kv=kv
    )
    throttle.configure(kv, max_failures=settings.login_max_failures, window_seconds=settings.login_window_minutes * 60)
    cache.configure(kv, ttl=settings.cache_ttl_seconds)
    exports.configure(
        database_url=settings.sqlalchemy_url,
        export_dir=settings.export_dir,
        tz_name=settings.tz_name,
        workers=settings.export_workers,
    )
    with db.session_scope() as session:
        exports.purge_expired(
            session, export_dir=settings.export_dir, older_than=dt.timedelta(hours=settings.export_retention_hours)
        )


def demo_logins(settings: Settings) -> list[str]:
    """Load demo data into an empty database; the logins are kept in var/ so every start can print them."""
    path = settings.var_dir / 'demo_logins.txt'
    with db.session_scope() as session:
        logins = demo.load_demo_data(session, now=utcnow(), tz=settings.tz)
    if logins is not None:
        path.write_text(
            f'manager  {logins.manager[0]} / {logins.manager[1]}\n'
            f'audience {logins.audience[0]} / {logins.audience[1]}\n'
        )
        path.chmod(0o600)
    return path.read_text().splitlines() if path.exists() else []


def serve(settings: Settings) -> None:
    from nicegui import app

    from api.routes import register_api
    from ui.pages import register_pages

    prepare(settings)
    lines = demo_logins(settings) if settings.demo_data else []
    register_pages()
    register_api()
    app.on_shutdown(exports.shutdown)
    url = f'http://{settings.host}:{settings.port}'
    for line in [
        'TicketShow is starting on ' + url,
        *(['Demo logins (username / password):'] if lines else []),
        *('  ' + line for line in lines),
    ]:
        print(line, flush=True)
    ui.run(
        host=settings.host,
        port=settings.port,
        title='TicketShow',
        storage_secret=settings.storage_secret(),
        reload=False,
        show=False,
        favicon='🎭',
        show_welcome_message=False,
    )


def create_admin(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog='main.py create-admin', description='Create an admin account.')
    parser.add_argument('--username', required=True)
    parser.add_argument('--name', required=True)
    parser.add_argument('--email', required=True)
    parser.add_argument(
        '--password-stdin', action='store_true', help='read the password from standard input instead of prompting'
    )
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip('\n')
    else:
        password = getpass.getpass('Password: ')
        if getpass.getpass('Password again: ') != password:
            print('The two passwords differ.', file=sys.stderr)
            return 2
    prepare(settings)
    try:
        with db.session_scope() as session:
            user = auth.create_admin(
                session, username=args.username, name=args.name, email=args.email, password=password
            )
            username = user.username
    except DomainError as error:
        messages = getattr(error, 'errors', {'': error.message}).values()
        print('\n'.join(messages), file=sys.stderr)
        return 2
    print(f'Admin "{username}" created.')
    return 0


def migrate(settings: Settings, argv: list[str]) -> int:
    argparse.ArgumentParser(prog='main.py migrate', description='Apply database migrations.').parse_args(argv)
    settings.ensure_var_dir()
    upgrade(settings.sqlalchemy_url)
    print('Database is up to date.')
    return 0


COMMANDS = {'create-admin': create_admin, 'migrate': migrate}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    get_settings.cache_clear()
    settings = get_settings()
    if argv and argv[0] in COMMANDS and 'NICEGUI_USER_SIMULATION' not in os.environ:
        return COMMANDS[argv[0]](settings, argv[1:])
    if argv and argv[0] in ('-h', '--help'):
        print(__doc__, '\nCommands: serve (default), ' + ', '.join(COMMANDS))
        return 0
    serve(settings)
    return 0


if __name__ == '__main__':
    exit_code = main(sys.argv[1:])
    if exit_code:
        sys.exit(exit_code)
