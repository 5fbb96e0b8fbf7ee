"""A mail run's message written straight to the bytes SMTP sends: one write, no `email` object tree to build, parse
back and flatten again.

`transport.compose` builds a standard-library `EmailMessage` with the default policy, which parses every header it
is given and folds it again on output: right for the single emails of the outbox, a few a minute, but most of a
monthly run's CPU at thousands an hour. The runs' emails have one fixed shape — a text and an HTML alternative, the
HTML's images inline by Content-ID — so `compose_wire` writes that shape itself, as `compose` lays it out: the same
parts in the same order, headers RFC 2047-encoded when they are not ASCII, bodies 7bit when they are short-lined
ASCII and base64 otherwise, CRLF line ends (what `smtplib.sendmail` expects of bytes). The result is a `Wire`: the
envelope and the data, handed to the server as they are.
"""

from __future__ import annotations

import base64
import uuid
from email.header import Header
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from services.mail.transport import InlineImage, Wire

CRLF = '\r\n'
MAX_7BIT_LINE = 998  # RFC 5322's limit; a longer line, or any non-ASCII, goes base64


def _header(name: str, value: str) -> str:
    if '\r' in value or '\n' in value:
        raise ValueError(f'a {name} header cannot hold a line break')
    if not value.isascii():
        value = Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)
    return f'{name}: {value}{CRLF}'


def _address(value: str) -> str:
    """An address header's value: a display name that is not ASCII is encoded, the address itself never is."""
    if '\r' in value or '\n' in value:
        raise ValueError('an address cannot hold a line break')
    name, address = parseaddr(value)
    if not address or not address.isascii():
        raise ValueError(f'{address!r}: an address must be ASCII here')
    return formataddr((name, address), charset='utf-8') if name else address


def _text_part(subtype: str, body: str) -> str:
    if not body.endswith('\n'):
        body += '\n'
    lines = body.splitlines()
    if body.isascii() and all(len(line) <= MAX_7BIT_LINE for line in lines):
        return (
            f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: 7bit{CRLF}{CRLF}'
            + CRLF.join(lines)
            + CRLF
        )
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}Content-Transfer-Encoding: base64{CRLF}{CRLF}'
        + _base64(body.encode())
    )


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode('ascii').replace('\n', CRLF)


def _image_part(image: InlineImage) -> str:
    return (
        f'Content-Type: image/png{CRLF}Content-Transfer-Encoding: base64{CRLF}'
        f'Content-Disposition: inline{CRLF}Content-ID: <{image.cid}>{CRLF}{CRLF}' + _base64(image.png)
    )


def _multipart(subtype: str, parts: list[str]) -> str:
    boundary = f'=_{uuid.uuid4().hex}'  # random: no body can hold it by chance
    # The line end before a boundary belongs to the boundary (RFC 2046): each part gets one of its own after it.
    body = ''.join(f'--{boundary}{CRLF}{part}{CRLF}' for part in parts)
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"{CRLF}{CRLF}{body}--{boundary}--{CRLF}'


def compose_wire(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    images: tuple[InlineImage, ...] = (),
    unsubscribe_url: str | None = None,
) -> Wire:
    """`transport.compose`'s message (without attachments), written as the bytes that go to the server."""
    head = [
        _header('From', _address(sender)),
        _header('To', _address(to)),
        _header('Subject', subject),
        _header('Date', formatdate(localtime=False)),
        _header('Message-ID', make_msgid(domain='ticketshow.invalid')),
    ]
    if unsubscribe_url:
        head.append(_header('List-Unsubscribe', f'<{unsubscribe_url}>'))
        head.append(_header('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click'))
    head.append(f'MIME-Version: 1.0{CRLF}')
    html_part = _text_part('html', html)
    if images:
        html_part = _multipart('related', [html_part, *(_image_part(image) for image in images)])
    body = _multipart('alternative', [_text_part('plain', text), html_part])
    return Wire(parseaddr(sender)[1], (parseaddr(to)[1],), (''.join(head) + body).encode('ascii'))
