"""Delivering one message: composing it, the outbox, SMTP through a real local server, and unsubscribe tokens."""

import base64
import email
import hashlib
import hmac
from email import policy

import pytest

from services.config import Settings
from services.mail.links import read_unsubscribe_token, unsubscribe_token
from services.mail.transport import (
    Attachment,
    InlineImage,
    OutboxMailer,
    Refused,
    ServerDown,
    SmtpMailer,
    compose,
    mailer_for,
)
from services.mail.wire import compose_wire
from tests.conftest import free_port

PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 32
SECRET = 'a-secret-only-the-app-knows'


def _message(to: str = 'ann@example.com', *, subject: str = 'Hello', images=(), attachments=(), unsubscribe=None):
    return compose(
        sender='TicketShow <noreply@ticketshow.invalid>',
        to=to,
        subject=subject,
        text='Plain words',
        html='<p>Rich <b>words</b> <img src="cid:chart@ticketshow"></p>',
        images=images,
        attachments=attachments,
        unsubscribe_url=unsubscribe,
    )


def _smtp_settings(port: int, tmp_path) -> Settings:
    return Settings(smtp_host='127.0.0.1', smtp_port=port, smtp_tls='none', var_dir=tmp_path)


def test_compose_has_text_and_html_alternatives_and_the_unsubscribe_headers():
    message = _message(unsubscribe='http://shows.test/unsubscribe?t=abc')
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_body(('plain',)).get_content().strip() == 'Plain words'
    assert '<b>words</b>' in parsed.get_body(('html',)).get_content()
    assert parsed['List-Unsubscribe'] == '<http://shows.test/unsubscribe?t=abc>'
    assert parsed['List-Unsubscribe-Post'] == 'List-Unsubscribe=One-Click'
    assert parsed['Message-ID'] and parsed['Date']


def test_compose_without_an_unsubscribe_url_has_no_unsubscribe_header():
    parsed = email.message_from_bytes(_message().as_bytes(), policy=policy.default)
    assert parsed['List-Unsubscribe'] is None


def test_compose_puts_images_inline_by_content_id_and_attachments_after():
    message = _message(
        images=(InlineImage('chart@ticketshow', PNG),),
        attachments=(Attachment('bookings.csv', b'id,show\n1,Hamlet\n', 'text', 'csv'),),
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    images = [p for p in parsed.walk() if p.get_content_type() == 'image/png']
    assert len(images) == 1
    assert images[0]['Content-ID'] == '<chart@ticketshow>'
    assert images[0].get_content() == PNG
    assert images[0].get_content_disposition() == 'inline'
    related = next(p for p in parsed.walk() if p.get_content_type() == 'multipart/related')
    assert [p.get_content_type() for p in related.iter_parts()] == ['text/html', 'image/png']
    attachment = next(parsed.iter_attachments())
    assert attachment.get_filename() == 'bookings.csv'
    assert attachment.get_content() == 'id,show\n1,Hamlet\n'


def test_outbox_mailer_writes_whole_eml_files_that_parse_back(tmp_path):
    folder = tmp_path / 'outbox'
    mailer = OutboxMailer(folder)
    mailer.send(_message('ann@example.com', subject='First'))
    mailer.send(_message('bob@example.com', subject='Second'))
    mailer.close()
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == ['.eml', '.eml']  # no half-written .part left behind
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    sent = sorted((m['To'], m['Subject']) for m in parsed)
    assert sent == [('ann@example.com', 'First'), ('bob@example.com', 'Second')]


def test_mailer_for_uses_smtp_when_a_host_is_set_and_the_outbox_otherwise(tmp_path):
    smtp = mailer_for(_smtp_settings(2525, tmp_path))
    outbox = mailer_for(Settings(smtp_host=None, var_dir=tmp_path))
    assert isinstance(smtp, SmtpMailer)
    assert isinstance(outbox, OutboxMailer)
    assert outbox.folder == (tmp_path / 'outbox').resolve()


def test_smtp_mailer_sends_a_batch_over_one_connection(smtp_server, tmp_path):
    mailer = SmtpMailer(_smtp_settings(smtp_server.port, tmp_path))
    for to in ('ann@example.com', 'bob@example.com', 'cy@example.com'):
        mailer.send(_message(to, subject=f'For {to}'))
    mailer.close()
    assert smtp_server.recipients == ['ann@example.com', 'bob@example.com', 'cy@example.com']
    assert [r.message['Subject'] for r in smtp_server.received] == [
        'For ann@example.com',
        'For bob@example.com',
        'For cy@example.com',
    ]
    assert len({r.peer for r in smtp_server.received}) == 1


def test_smtp_mailer_reports_a_refused_recipient_and_goes_on(smtp_server, tmp_path):
    smtp_server.refuse = {'nobody@example.com'}
    mailer = SmtpMailer(_smtp_settings(smtp_server.port, tmp_path))
    with pytest.raises(Refused) as refused:
        mailer.send(_message('nobody@example.com'))
    mailer.send(_message('ann@example.com'))  # the connection still serves the rest of the batch
    mailer.close()
    assert 'nobody@example.com' in str(refused.value) and '550 5.1.1 no such user' in str(refused.value)
    assert smtp_server.recipients == ['ann@example.com']


def test_smtp_mailer_reports_a_server_that_cannot_be_reached(tmp_path):
    mailer = SmtpMailer(_smtp_settings(free_port(), tmp_path), timeout=5)
    with pytest.raises(ServerDown) as down:
        mailer.send(_message())
    mailer.close()
    assert 'cannot reach the SMTP server 127.0.0.1' in str(down.value)


def test_smtp_mailer_reports_a_server_that_goes_down_mid_batch(smtp_server, tmp_path):
    smtp_server.die_after = 1
    mailer = SmtpMailer(_smtp_settings(smtp_server.port, tmp_path), timeout=10)
    mailer.send(_message('ann@example.com'))
    with pytest.raises(ServerDown) as down:
        mailer.send(_message('bob@example.com'))
    mailer.close()
    assert 'connection' in str(down.value)
    assert smtp_server.recipients == ['ann@example.com']


def test_unsubscribe_token_reads_back_to_its_person_and_kind():
    token = unsubscribe_token(SECRET, user_id=42, kind='reports')
    assert read_unsubscribe_token(SECRET, token) == (42, 'reports')
    assert '=' not in token and '/' not in token and '+' not in token  # fits a URL as it is


def _signed(payload: bytes, secret: str = SECRET) -> bytes:
    return base64.urlsafe_b64encode(payload + b'.' + hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16])


def _other_person_token() -> str:
    """Someone's genuine signature put on another person's id."""
    genuine = base64.urlsafe_b64decode(unsubscribe_token(SECRET, user_id=42, kind='reports') + '==')
    signature = genuine.partition(b'.')[2]
    return base64.urlsafe_b64encode(b'43:reports.' + signature).decode().rstrip('=')


@pytest.mark.parametrize(
    'token',
    [
        pytest.param(lambda: _other_person_token(), id='another-persons-id'),
        pytest.param(lambda: unsubscribe_token('another-secret', user_id=42, kind='reports'), id='other-secret'),
        pytest.param(lambda: unsubscribe_token(SECRET, user_id=42, kind='reports')[:-6], id='truncated'),
        pytest.param(lambda: _signed(b'42:everything').decode(), id='unknown-kind'),
        pytest.param(lambda: _signed(b'forty-two:reports').decode(), id='not-a-number'),
        pytest.param(lambda: 'short', id='too-short'),
        pytest.param(lambda: 'A' * 500, id='too-long'),
        pytest.param(lambda: '', id='empty'),
        pytest.param(lambda: None, id='none'),
        pytest.param(lambda: 42, id='not-text'),
    ],
)
def test_forged_or_broken_unsubscribe_tokens_are_not_read(token):
    assert read_unsubscribe_token(SECRET, token()) is None


def _wire(**overrides):
    values = dict(
        sender='Tïcket Shöw <reports@ticketshow.invalid>',
        to='ann@example.com',
        subject='Ton mois de décembre — ' + 'très long ' * 8,
        text='Héllo Ann\n.a line that starts with a dot\n',
        html='<p>Rich <b>words</b> <img src="cid:chart@ticketshow"></p>\n' + 'x' * 1200,
        images=(InlineImage('chart@ticketshow', PNG),),
        unsubscribe_url='http://shows.test/unsubscribe?t=abc',
    )
    return compose_wire(**{**values, **overrides})


def test_a_wire_message_has_compose_s_shape_and_encodes_what_is_not_ascii():
    wire = _wire()
    parsed = email.message_from_bytes(wire.data, policy=policy.default)
    assert (wire.sender, wire.recipients) == ('reports@ticketshow.invalid', ('ann@example.com',))
    assert b'\r\n' in wire.data and b'\n' not in wire.data.replace(b'\r\n', b'')  # CRLF only, as SMTP sends it
    assert wire.data.isascii()
    assert str(parsed['From']) == 'Tïcket Shöw <reports@ticketshow.invalid>'
    assert parsed['Subject'] == 'Ton mois de décembre — ' + 'très long ' * 8
    assert parsed['List-Unsubscribe'] == '<http://shows.test/unsubscribe?t=abc>'
    assert parsed['List-Unsubscribe-Post'] == 'List-Unsubscribe=One-Click'
    assert parsed['Message-ID'] and parsed['Date']
    assert parsed.get_content_type() == 'multipart/alternative'
    assert parsed.get_body(('plain',)).get_content() == 'Héllo Ann\n.a line that starts with a dot\n'
    assert parsed.get_body(('html',)).get_content().endswith('x' * 1200 + '\n')  # past 998 characters: base64
    related = next(p for p in parsed.walk() if p.get_content_type() == 'multipart/related')
    assert [p.get_content_type() for p in related.iter_parts()] == ['text/html', 'image/png']
    [image] = [p for p in parsed.walk() if p.get_content_type() == 'image/png']
    assert (image['Content-ID'], image.get_content(), image.get_content_disposition()) == (
        '<chart@ticketshow>',
        PNG,
        'inline',
    )
    assert not parsed.defects and not any(part.defects for part in parsed.walk())


def test_a_wire_message_of_ascii_text_keeps_its_bodies_readable_and_has_no_images_part():
    parsed = email.message_from_bytes(
        _wire(sender='reports@ticketshow.invalid', subject='Hello', text='Plain', html='<p>Rich</p>', images=()).data,
        policy=policy.default,
    )
    assert parsed['Subject'] == 'Hello'
    assert [p.get_content_type() for p in parsed.iter_parts()] == ['text/plain', 'text/html']
    assert all(p['Content-Transfer-Encoding'] == '7bit' for p in parsed.iter_parts())
    assert parsed.get_body(('html',)).get_content().replace('\r\n', '\n') == '<p>Rich</p>\n'


@pytest.mark.parametrize('field', ['subject', 'to'])
def test_a_wire_message_refuses_a_line_break_in_a_header(field):
    with pytest.raises(ValueError):
        _wire(**{field: 'Hello\r\nBcc: everyone@example.com'})


def test_smtp_mailer_sends_wire_messages_as_they_are(smtp_server, tmp_path):
    mailer = SmtpMailer(_smtp_settings(smtp_server.port, tmp_path))
    mailer.send(_wire(to='ann@example.com'))
    mailer.send(_wire(to='bob@example.com', subject='Second'))
    mailer.close()
    assert smtp_server.recipients == ['ann@example.com', 'bob@example.com']
    first, second = (r.message for r in smtp_server.received)
    assert str(first['From']) == 'Tïcket Shöw <reports@ticketshow.invalid>'
    assert second['Subject'] == 'Second'
    assert first.get_body(('plain',)).get_content() == 'Héllo Ann\n.a line that starts with a dot\n'  # the dot kept


def test_outbox_mailer_writes_wire_messages_that_parse_back(tmp_path):
    mailer = OutboxMailer(tmp_path / 'outbox')
    mailer.send(_wire())
    [written] = (tmp_path / 'outbox').iterdir()
    assert email.message_from_bytes(written.read_bytes(), policy=policy.default)['To'] == 'ann@example.com'
