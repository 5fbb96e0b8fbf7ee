"""TicketShow: `python main.py` serves the app; `python main.py COMMAND --help` for the other commands."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import os
import socket
import sys
from pathlib import Path

from nicegui import Client, background_tasks, ui
from nicegui.storage import Storage

from models import RunStatus, db
from models.db import utcnow
from models.migrate import upgrade
from scheduler.jobs import MailScheduler
from services import auth, backup, cache, demo, exports, health, instances, logs, metrics, posters, sessions, throttle
from services.config import Settings, get_settings
from services.errors import DomainError
from services.kv import KV
from services.mail import jobs as mail_jobs
from services.mail.months import parse_month

log = logging.getLogger('ticketshow')


def prepare(settings: Settings) -> KV:
    """Everything a process needs before it serves or runs a command: folders, schema, sessions."""
    settings.ensure_var_dir()
    upgrade(settings.sqlalchemy_url)
    settings.restrict_files(Storage.path)
    db.configure(settings.sqlalchemy_url, lock_timeout=settings.db_lock_timeout_seconds)
    kv = KV(settings.redis_url or None, prefix=settings.redis_prefix)
    sessions.configure(idle_seconds=settings.session_idle_minutes * 60, max_seconds=settings.session_max_hours * 3600)
    throttle.configure(
        kv,
        max_failures=settings.login_max_failures,
        address_max_failures=settings.login_address_max_failures,
        window_seconds=settings.login_window_minutes * 60,
        signups_per_hour=settings.signups_per_hour,
    )
    cache.configure(kv, ttl=settings.cache_ttl_seconds)
    exports.configure(
        database_url=settings.sqlalchemy_url,
        export_dir=settings.export_dir,
        tz_name=settings.tz_name,
        workers=settings.export_workers,
        poll_seconds=settings.export_poll_seconds,
        lease_seconds=settings.export_lease_seconds,
        max_attempts=settings.export_max_attempts,
    )
    with db.session_scope() as session:
        exports.purge_expired(
            session, export_dir=settings.export_dir, older_than=dt.timedelta(hours=settings.export_retention_hours)
        )
    return kv


def demo_logins(settings: Settings) -> list[str]:
    """Load demo data into an empty database; the logins are kept in var/ so every start can print them."""
    path = settings.var_dir / 'demo_logins.txt'
    with db.session_scope() as session:
        logins = demo.load_demo_data(session, now=utcnow())
        if logins is not None:  # generated posters for most productions (a few keep the placeholder)
            posters.add_demo_posters(session)
    if logins is not None:
        path.write_text(
            f'manager  {logins.manager[0]} / {logins.manager[1]}\n'
            f'audience {logins.audience[0]} / {logins.audience[1]}\n'
            f'door     {logins.door[0]} / {logins.door[1]}  (checks tickets in at {demo.THEATRES[0][0]}: /checkin)\n'
        )
        path.chmod(0o600)
    return path.read_text().splitlines() if path.exists() else []


def serve(settings: Settings) -> None:
    from nicegui import app

    from api.routes import register_api
    from services import workers
    from ui.error_page import BusyStatus, error_page
    from ui.not_found import not_found_page
    from ui.pages import register_pages
    from ui.pruning import start as prune_unconnected_pages

    kv = prepare(settings)
    health.configure(
        health.Probe(
            url=settings.sqlalchemy_url,
            kv=kv,
            redis_configured=bool(settings.redis_url),
            outbox_stuck_after=dt.timedelta(minutes=settings.outbox_stuck_minutes),
        )
    )
    # Demo data first: loading it (posters included) holds SQLite's write lock for several seconds on a first start,
    # longer than the lock timeout a pass of the export runner waits.
    lines = demo_logins(settings) if settings.demo_data else []
    exports.start()  # the export runner, its worker processes warming up while the server starts
    register_pages()
    prune_unconnected_pages(settings.unconnected_page_seconds)  # a page view that never connects goes in seconds
    register_api(settings)  # the API, an app of its own, answers ahead of the pages' middleware
    app.on_page_exception(error_page)  # a friendly page, never a traceback or an exception's text
    app.add_middleware(BusyStatus)  # ... answered 503 with Retry-After when the database was busy
    app.on_shutdown(workers.shutdown)
    if settings.metrics_token:
        # The pages this instance holds whose browser is connected, counted when scraped (from the scrape's thread:
        # a copy of the list, never the live dict).
        metrics.CLIENTS.set_function(lambda: sum(c.has_socket_connection for c in list(Client.instances.values())))
        app.on_startup(lambda: background_tasks.create(metrics.watch_loop_lag(), name='event loop lag'))
    # The export runner's running jobs go back to the queue at shutdown; NiceGUI's simulated user starts the app
    # again in the same process for every page test, which keeps the worker processes warm in between.
    keep_pool = 'NICEGUI_USER_SIMULATION' in os.environ
    app.on_shutdown(lambda: exports.shutdown(keep_pool=keep_pool))
    # This instance's row for the admin's system page, written every few seconds; gone on a clean stop.
    app.on_startup(lambda: background_tasks.create(instances.keep_beating(settings.port), name='instance heartbeat'))
    app.on_shutdown(_leave)
    if settings.scheduler == 'on':
        mail_scheduler = MailScheduler(settings, kv, instance=instances.ID)
        app.state.mail_scheduler = mail_scheduler  # the admin page shows the next runs
        app.on_startup(mail_scheduler.start)
        app.on_shutdown(mail_scheduler.shutdown)
    url = f'http://{settings.host}:{settings.port}'
    if settings.log_format == 'json':  # a log pipeline reads this: no passwords in it, only where they are
        log.info('TicketShow is starting on %s', url)
        if lines:
            log.info('Demo logins are in %s', settings.var_dir / 'demo_logins.txt')
    else:
        for line in [
            'TicketShow is starting on ' + url,
            *(['Demo logins (username / password):'] if lines else []),
            *('  ' + line for line in lines),
        ]:
            print(line, flush=True)
    ui.run(
        not_found_page,  # the root page NiceGUI builds for any path no route matches: our 404 page, in the frame
        host=settings.host,
        port=settings.port,
        title='TicketShow',
        language='en-US',  # Quasar's texts and <html lang>, which screen readers need to pronounce the page
        storage_secret=settings.storage_secret(),
        # The browser id in this cookie is what a browser session is bound to: never readable by scripts,
        # never sent cross-site on a POST, and only over HTTPS when the app runs behind it.
        session_middleware_kwargs={'https_only': settings.https, 'same_site': 'lax'},
        reload=False,
        show=False,
        favicon='🎭',
        show_welcome_message=False,
        # SIGTERM: no new connections, the requests in flight finish (this long at most), then the shutdown hooks.
        timeout_graceful_shutdown=settings.shutdown_seconds,
        # JSON logs: uvicorn's own loggers write through the app's one handler rather than their text ones.
        **({'log_config': None} if settings.log_format == 'json' else {}),
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


def send_reminders(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog='main.py send-reminders', description='Send the daily reminder now (the same code the scheduler runs).'
    )
    parser.add_argument('--dry-run', action='store_true', help='count who would get one; send and record nothing')
    args = parser.parse_args(argv)
    prepare(settings)
    result = mail_jobs.send_reminders(dry_run=args.dry_run, trigger='cli', settings=settings)
    print(result.describe())
    return 0 if result.status == RunStatus.DONE else 1


def send_monthly_reports(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog='main.py send-monthly-reports', description="Send a month's reports now (default: last month)."
    )
    parser.add_argument('--month', help='YYYY-MM in the app time zone (default: the month before this one)')
    parser.add_argument('--dry-run', action='store_true', help='count who would get one; send and record nothing')
    args = parser.parse_args(argv)
    if args.month is not None:
        try:
            parse_month(args.month)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
    prepare(settings)
    result = mail_jobs.send_monthly_reports(month=args.month, dry_run=args.dry_run, trigger='cli', settings=settings)
    print(result.describe())
    return 0 if result.status == RunStatus.DONE else 1


def migrate(settings: Settings, argv: list[str]) -> int:
    argparse.ArgumentParser(prog='main.py migrate', description='Apply database migrations.').parse_args(argv)
    settings.ensure_var_dir()
    upgrade(settings.sqlalchemy_url)
    print('Database is up to date.')
    return 0


def backup_database(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog='main.py backup',
        description='Copy the SQLite database, while the app runs, to PATH: consistent as of one moment, checked.',
    )
    parser.add_argument('path', type=Path, help='the backup file to write (replaced only by a whole, checked copy)')
    args = parser.parse_args(argv)
    try:
        summary = backup.backup(settings.sqlalchemy_url, args.path)
    except backup.BackupError as error:
        print(error, file=sys.stderr)
        return 2
    print(f'Backed up: {summary.describe()}')
    return 0


def restore_database(settings: Settings, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog='main.py restore',
        description='Replace the SQLite database with a backup (stop the app first); the old one is kept beside it.',
    )
    parser.add_argument('path', type=Path, help='a file `main.py backup` wrote')
    parser.add_argument('--force', action='store_true', help='restore even though something answers on the port')
    args = parser.parse_args(argv)
    if not args.force and _answers(settings.host, settings.port):
        print(
            f'Something answers on {settings.host}:{settings.port}: stop the app before restoring its database '
            '(or --force, if that is not this app).',
            file=sys.stderr,
        )
        return 2
    settings.ensure_var_dir()
    try:
        summary, kept = backup.restore(settings.sqlalchemy_url, args.path, now=utcnow())
    except backup.BackupError as error:
        print(error, file=sys.stderr)
        return 2
    print(f'Restored: {summary.describe()}')
    if kept is not None:
        print(f'The database it replaced is kept as {kept}')
    print('Start the app as usual: it applies any migration the backup is behind on.')
    return 0


async def _leave() -> None:
    """A clean stop: this instance's row goes (a crashed one's ages out of the system page in a minute)."""

    def leave() -> None:
        with db.session_scope() as session:
            instances.leave(session, instance_id=instances.ID)

    try:
        await asyncio.to_thread(leave)
    except Exception as error:  # noqa: BLE001 - the database may be the reason for the stop
        log.warning('could not remove this instance from the instances list (%s)', type(error).__name__)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


COMMANDS = {
    'backup': backup_database,
    'restore': restore_database,
    'create-admin': create_admin,
    'migrate': migrate,
    'send-reminders': send_reminders,
    'send-monthly-reports': send_monthly_reports,
}


def main(argv: list[str]) -> int:
    # Everything this process (and its export workers) writes — the database, browser storage, secrets,
    # exports, the outbox — is readable by its owner only, whatever umask it was started with.
    os.umask(0o077)
    get_settings.cache_clear()
    settings = get_settings()
    logs.configure(settings.log_format)
    # APScheduler logs two lines for every run of every job (the hold sweep runs every 5 s); the jobs log what
    # they do themselves, and APScheduler's warnings and errors still show.
    logging.getLogger('apscheduler.executors.default').setLevel(logging.WARNING)
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
