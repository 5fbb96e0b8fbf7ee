"""Delivering email: over SMTP with yagmail, or into an outbox folder when no SMTP server is configured.

Messages are standard-library `EmailMessage`s (a plain-text part, an HTML part, inline images by
Content-ID, attachments, List-Unsubscribe headers); yagmail opens, secures and authenticates the
connection. One `Mailer` serves a whole batch over one connection. Every email the app sends goes
through here: the mail runs (`runner`) and the queued single emails (`outbox`) alike.

Errors are sorted so that a batch knows what to do: `Refused` is about this one message or
recipient (record it, go on), `ServerDown` is about the server (stop the batch, try later).
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import yagmail

from models.db import utcnow
from services.config import Settings


class Refused(Exception):
    """The server refused this message or its recipient; other messages may still go."""


class ServerDown(Exception):
    """The server cannot be reached or dropped the connection; nothing more can be sent now."""


@dataclass(frozen=True)
class InlineImage:
    cid: str  # without angle brackets; the HTML refers to it as src="cid:..."
    png: bytes


@dataclass(frozen=True)
class Wire:
    """A message flattened once, ready for the wire (`wire.compose_wire` writes the runs' emails so): the envelope
    and the data, sent as they are."""

    sender: str  # the envelope's address (MAIL FROM), without a display name
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    images: tuple[InlineImage, ...] = (),
    attachments: tuple[Attachment, ...] = (),
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A multipart message: text and HTML alternatives, the HTML's images inline, then any attachments."""
    message = EmailMessage()
    message['From'] = sender
    message['To'] = to
    message['Subject'] = subject
    message['Date'] = formatdate(localtime=False)
    message['Message-ID'] = make_msgid(domain='ticketshow.invalid')
    if unsubscribe_url:
        message['List-Unsubscribe'] = f'<{unsubscribe_url}>'
        message['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
    message.set_content(text)
    message.add_alternative(html, subtype='html')
    if images:
        html_part = message.get_body(preferencelist=('html',))
        assert html_part is not None  # added just above
        for image in images:
            html_part.add_related(image.png, maintype='image', subtype='png', cid=f'<{image.cid}>')
    for item in attachments:
        message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return message


class Mailer(Protocol):
    def send(self, message: EmailMessage | Wire) -> None: ...

    def close(self) -> None: ...


class OutboxMailer:
    """The embedded default: every message becomes an .eml file a mail client can open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage | Wire) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f'{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml'
        part = self.folder / (name + '.part')
        part.write_bytes(message.data if isinstance(message, Wire) else message.as_bytes())
        part.replace(self.folder / name)  # whole or not at all: the admin page never lists half a message

    def close(self) -> None:
        return None


class SmtpMailer:
    """One SMTP connection for a batch, opened at the first message."""

    def __init__(self, settings: Settings, *, timeout: float = 30) -> None:
        self.settings = settings
        self.timeout = timeout
        self.client: yagmail.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.client is None:
            settings = self.settings
            self.client = yagmail.SMTP(
                user=settings.smtp_user or parseaddr(settings.sender)[1],
                password=settings.smtp_password,
                host=settings.smtp_host,
                port=settings.smtp_port,
                smtp_ssl=settings.smtp_tls == 'ssl',
                smtp_starttls=settings.smtp_tls == 'starttls',
                smtp_skip_login=not settings.smtp_user,
                soft_email_validation=False,
                timeout=self.timeout,
            )
            try:
                self.client.login()
            except (OSError, smtplib.SMTPException) as error:
                self.client = None
                raise ServerDown(
                    f'cannot reach the SMTP server {settings.smtp_host}:{settings.smtp_port}: {error}'
                ) from error
        return self.client.smtp

    def send(self, message: EmailMessage | Wire) -> None:
        connection = self._connect()
        try:
            if isinstance(message, Wire):  # flattened once by its composer: the bytes go as they are
                connection.sendmail(message.sender, list(message.recipients), message.data)
            else:
                connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise Refused(f'recipient refused: {_reason(error.recipients)}') from error
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
            if error.smtp_code == 421:  # the server is closing the connection: nothing more goes now
                self.close()
                raise ServerDown(f'the server closed the connection: {error.smtp_error!r}') from error
            raise Refused(f'message refused: {error.smtp_code} {error.smtp_error!r}') from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise ServerDown(f'the SMTP connection failed: {error}') from error

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def _reason(recipients: dict[str, tuple[int, bytes]]) -> str:
    return '; '.join(
        f'{address} ({code} {text.decode(errors="replace")})' for address, (code, text) in recipients.items()
    )


def mailer_for(settings: Settings) -> Mailer:
    """SMTP when a host is configured, else the outbox under var/."""
    return SmtpMailer(settings) if settings.smtp_host else OutboxMailer(settings.outbox_dir)
