"""Settings: one place, environment variables prefixed TICKETSHOW_ (and an optional .env file)."""

from __future__ import annotations

import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from tzlocal import get_localzone_name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='TICKETSHOW_', env_file='.env', extra='ignore', populate_by_name=True)

    host: str = '127.0.0.1'
    port: int = Field(8080, ge=1, le=65535)
    var_dir: Path = Path('var')
    database_url: str | None = None
    # How long a write waits for a lock another transaction holds (SQLite's busy timeout, PostgreSQL's
    # lock_timeout) before it is refused as busy, rolled back, and the person asked to try again.
    db_lock_timeout_seconds: float = Field(5, gt=0, le=600)
    redis_url: str = 'redis://127.0.0.1:6379/0'  # empty: no Redis, everything in process memory
    redis_prefix: str = 'ticketshow:'
    login_max_failures: int = Field(5, ge=1)
    login_window_minutes: int = Field(15, ge=1)
    login_address_max_failures: int = Field(20, ge=1)
    signups_per_hour: int = Field(10, ge=1)
    password_workers: int = Field(0, ge=0, le=16)  # 0: one fewer than the machine's cores (at least one)
    https: bool = False  # behind an HTTPS proxy: cookies are marked Secure
    cache_ttl_seconds: int = Field(60, ge=1)
    timezone: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal['none', 'starttls', 'ssl'] = 'starttls'
    mail_from: str | None = None
    demo_data: bool = False
    scheduler: Literal['on', 'off'] = 'on'
    session_idle_minutes: int = Field(60 * 24, ge=1)
    session_max_hours: int = Field(24 * 14, ge=1)
    page_size: int = Field(12, ge=1, le=100)
    currency: str = '₹'
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    public_url: str | None = None
    reminder_time: str = Field('18:00', pattern=r'^([01]\d|2[0-3]):[0-5]\d$')
    report_time: str = Field('08:00', pattern=r'^([01]\d|2[0-3]):[0-5]\d$')
    reminder_window_hours: int = Field(24, ge=1, le=24 * 14)
    mail_max_attempts: int = Field(3, ge=1, le=20)
    storage_secret_value: SecretStr | None = Field(None, alias='TICKETSHOW_STORAGE_SECRET')
    mail_secret_value: SecretStr | None = Field(None, alias='TICKETSHOW_MAIL_SECRET')
    scheduler_tick_seconds: float = Field(20, gt=0, le=3600)
    scheduler_lease_seconds: float = Field(60, gt=0, le=3600)
    mail_retry_minutes: float = Field(15, gt=0, le=24 * 60)
    # How often the elected instance looks for queued email it was not woken for (another instance's commits).
    outbox_poll_seconds: float = Field(2, gt=0, le=3600)
    hold_minutes: float = Field(10, gt=0, le=24 * 60)  # how long chosen seats stay held for their buyer
    # How long a waiting-list offer sets its tickets aside: this long at most, a quarter of the time left before the
    # show when that is shorter (but 5 minutes at least), and never past the show's start.
    offer_minutes: float = Field(120, gt=0, le=7 * 24 * 60)
    export_workers: int = Field(1, ge=1, le=8)
    export_retention_hours: int = Field(24, ge=1)
    # The export queue: how often an instance looks for jobs recorded elsewhere, how long a running job may go
    # unheard of before another instance takes it back, and how many tries a job whose worker dies gets.
    export_poll_seconds: float = Field(2, gt=0, le=600)
    export_lease_seconds: float = Field(60, gt=0, le=3600)
    export_max_attempts: int = Field(3, ge=1, le=20)
    # A page view whose browser has not opened its websocket this long after the page was sent goes (ui/pruning.py).
    unconnected_page_seconds: float = Field(10, gt=0, le=600)
    # /readyz calls the outbox stuck (the deployment degraded) when an email has been due this long and not sent.
    outbox_stuck_minutes: float = Field(10, gt=0, le=24 * 60)
    # GET /metrics (Prometheus) answers only with `Authorization: Bearer <this>`; unset, there is no /metrics and
    # requests are not timed.
    metrics_token_value: SecretStr | None = Field(None, alias='TICKETSHOW_METRICS_TOKEN')
    # On SIGTERM: stop taking connections, finish the requests in flight for at most this long, then hand the
    # scheduler's lease over, return running exports to the queue, and exit.
    shutdown_seconds: int = Field(30, ge=1, le=3600)
    # `json`: one JSON object per log line, with the request id (services/logs.py); `text` for a terminal.
    log_format: Literal['text', 'json'] = 'text'

    @property
    def metrics_token(self) -> str | None:
        token = self.metrics_token_value.get_secret_value() if self.metrics_token_value else ''
        return token or None

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f'sqlite:///{(self.var_dir / "ticketshow.sqlite3").resolve()}'

    @cached_property
    def tz_name(self) -> str:
        """The IANA name of the app's time zone (the database converts with it too)."""
        return self.timezone or get_localzone_name() or 'UTC'

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    export_dir_path: Path | None = Field(None, alias='TICKETSHOW_EXPORT_DIR')

    @property
    def export_dir(self) -> Path:
        """Where export files go: a folder every instance can reach, when there are several."""
        return (self.export_dir_path or self.var_dir / 'exports').resolve()

    media_dir_path: Path | None = Field(None, alias='TICKETSHOW_MEDIA_DIR')

    @property
    def media_dir(self) -> Path:
        """Where uploaded images go (posters under `posters/`): a folder every instance can reach, when there are
        several."""
        return (self.media_dir_path or self.var_dir / 'media').resolve()

    def ensure_var_dir(self) -> Path:
        self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.var_dir

    def restrict_files(self, *folders: Path) -> None:
        """Make the var dir (database, secrets, outbox, exports) and `folders` readable by their owner only,
        whatever the umask was when something in them was made."""
        for folder in (self.var_dir, self.export_dir, *folders):
            if not folder.is_dir():
                continue
            for path in (folder, *folder.rglob('*')):
                if not path.is_symlink():
                    path.chmod(0o700 if path.is_dir() else 0o600)

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir.resolve() / 'outbox'

    @property
    def base_url(self) -> str:
        """Where people reach the app: links in emails point here."""
        return (self.public_url or f'http://{self.host}:{self.port}').rstrip('/')

    @property
    def sender(self) -> str:
        return self.mail_from or 'TicketShow <noreply@ticketshow.invalid>'

    def _secret(self, name: str, given: SecretStr | None) -> str:
        """A secret from the environment (several instances must share it), else generated into var/ on first
        use; never committed."""
        if given is not None and given.get_secret_value():
            return given.get_secret_value()
        path = self.ensure_var_dir() / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def storage_secret(self) -> str:
        """The browser-storage signing secret."""
        return self._secret('storage_secret', self.storage_secret_value)

    def mail_secret(self) -> str:
        """Signs the unsubscribe links in emails."""
        return self._secret('mail_secret', self.mail_secret_value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings; `get_settings.cache_clear()` re-reads the environment."""
    return Settings()
