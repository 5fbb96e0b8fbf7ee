"""The mail jobs end to end: who gets the daily reminder and the monthly report, what they say, unsubscribing,
and sending each email exactly once through a real local SMTP server that refuses, dies and comes back."""

import base64
import datetime as dt
import email
import re
import threading
from collections import Counter
from email import policy
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from models import JobRun, MailDelivery, Theatre, User
from models.db import configure, session_scope
from services import preferences, ratings
from services.config import get_settings
from services.errors import Invalid, NotAllowed, NotFound
from services.mail import admin as mail_admin
from services.mail import content, months
from services.mail import jobs as mailings
from services.mail import render as mail_render
from services.mail.links import read_unsubscribe_token
from tests.factories import make_booking, make_show, make_theatre, make_user

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))
NOW = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)  # 18:30 in Kolkata, Thursday 10 December
BASE = 'https://shows.example'
SHOW_LINK = re.compile(re.escape(BASE) + r'/shows/(\d+)')


@pytest.fixture
def app(database, monkeypatch):
    """The app as the tests see it: Kolkata time, links to BASE."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    monkeypatch.setenv('TICKETSHOW_PUBLIC_URL', BASE + '/')
    get_settings.cache_clear()
    return database


def text_of(message) -> str:
    return message.get_body(('plain',)).get_content()


def html_of(message) -> str:
    return message.get_body(('html',)).get_content()


def show_ids(body: str) -> list[int]:
    return [int(found) for found in SHOW_LINK.findall(body)]


def delivery_rows(kind: str) -> list[MailDelivery]:
    with session_scope() as s:
        return list(s.scalars(select(MailDelivery).where(MailDelivery.kind == kind).order_by(MailDelivery.user_id)))


def statuses(kind: str) -> dict[int, str]:
    return {d.user_id: d.status for d in delivery_rows(kind)}


def job_runs() -> list[JobRun]:
    with session_scope() as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.id)))


def unsubscribe_url_of(message) -> str:
    """The List-Unsubscribe URL (the header is folded when long: the whitespace before '<' is not part of it)."""
    return message['List-Unsubscribe'].strip().removeprefix('<').removesuffix('>')


def unsubscribe_token_of(message) -> str:
    url = unsubscribe_url_of(message)
    return parse_qs(urlsplit(url).query)['t'][0]


# --- the daily reminder ----------------------------------------------------------------------------------


@pytest.fixture
def stage(app):
    """A manager's theatre with two upcoming shows."""
    manager = make_user(role='manager')
    theatre = make_theatre(manager, place='Mumbai')
    show = make_show(theatre, starts_at=NOW + dt.timedelta(days=2), num_tickets=50)
    make_show(theatre, starts_at=NOW + dt.timedelta(days=3))  # something to suggest to those who booked `show`
    return manager, theatre, show


def test_reminders_go_once_to_each_audience_member_who_booked_nothing_in_the_last_day(stage, smtp_server):
    manager, _theatre, show = stage
    admin = make_user(role='admin')
    idle = make_user()
    booked_long_ago = make_user()
    make_booking(booked_long_ago, show, created_at=NOW - dt.timedelta(hours=30))
    only_cancelled = make_user()
    make_booking(only_cancelled, show, status='cancelled', created_at=NOW - dt.timedelta(hours=2))
    booked_today = make_user()
    make_booking(booked_today, show, created_at=NOW - dt.timedelta(hours=3))
    booked_yesterday_evening = make_user()
    make_booking(booked_yesterday_evening, show, created_at=NOW - dt.timedelta(hours=23, minutes=59))
    no_thanks = make_user(wants_reminders=False)
    disabled = make_user(is_active=False)

    result = mailings.send_reminders(now=NOW)

    expected = {idle.email, booked_long_ago.email, only_cancelled.email}
    assert sorted(smtp_server.recipients) == sorted(expected)
    assert (result.status, result.sent, result.failed, result.error) == ('done', 3, 0, None)
    assert result.period == '2026-12-10'
    assert statuses('reminder') == {idle.id: 'sent', booked_long_ago.id: 'sent', only_cancelled.id: 'sent'}
    for nobody in (manager, admin, booked_today, booked_yesterday_evening, no_thanks, disabled):
        assert nobody.email not in smtp_server.recipients


def test_reminder_picks_fit_the_persons_places_and_tags_then_the_popular_ones(app, smtp_server):
    manager = make_user(role='manager')
    pune = make_theatre(manager, name='Pune Playhouse', place='Pune')
    mumbai = make_theatre(manager, name='Mumbai Stage', place='Mumbai')

    def show(theatre, name, days, tags=(), **kwargs):
        return make_show(theatre, name=name, starts_at=NOW + dt.timedelta(days=days), tags=tags, **kwargs)

    seen = show(pune, 'Seen Drama', -5, ('drama',))
    booked_ahead = show(pune, 'Booked Drama', 3, ('drama',))
    pune_drama = show(pune, 'Pune Drama', 4, ('drama',))
    pune_comedy = show(pune, 'Pune Comedy', 5, ('comedy',))
    mumbai_drama = show(mumbai, 'Mumbai Drama', 6, ('drama',))
    popular = show(mumbai, 'Big Mumbai Comedy', 2, ('comedy',), num_tickets=50, tickets_sold=40)
    show(pune, 'Sold Out Drama', 3, ('drama',), num_tickets=10, tickets_sold=10)
    show(pune, 'Started Drama', -0.05, ('drama',))
    fan = make_user(username='fan')
    newcomer = make_user(username='newcomer')
    make_booking(fan, seen, created_at=NOW - dt.timedelta(days=10))
    make_booking(fan, booked_ahead, created_at=NOW - dt.timedelta(days=10))

    mailings.send_reminders(now=NOW)

    by_person = {r.to: r.message for r in smtp_server.received}
    fan_picks = [pune_drama.id, pune_comedy.id, mumbai_drama.id, popular.id]
    newcomer_picks = [popular.id, booked_ahead.id, pune_drama.id, pune_comedy.id, mumbai_drama.id]
    assert show_ids(text_of(by_person[fan.email])) == fan_picks
    assert show_ids(html_of(by_person[fan.email])) == fan_picks
    assert show_ids(text_of(by_person[newcomer.email])) == newcomer_picks
    assert show_ids(html_of(by_person[newcomer.email])) == newcomer_picks


def test_reminder_has_text_and_html_with_the_shows_links_and_escaped_user_text(app, smtp_server):
    manager = make_user(role='manager')
    theatre = make_theatre(manager, name='Rock & Roll Hall', place='Pune')
    show = make_show(theatre, name='Tom & Jerry <live>', starts_at=NOW + dt.timedelta(days=1), price_cents=25050)
    person = make_user(name='"Bo" Tables')

    mailings.send_reminders(now=NOW)

    [received] = smtp_server.received
    message = received.message
    assert received.to == person.email and message['To'] == person.email
    assert message['Subject'] == 'Shows coming up for you'
    text, html = text_of(message), html_of(message)
    link = f'{BASE}/shows/{show.id}'
    assert 'Hello "Bo", here are a few shows' in text
    assert (
        f'- Tom & Jerry <live> at Rock & Roll Hall, Pune: Fri 11 Dec 2026, 18:30 IST, ₹250.50, 50 tickets left. {link}'
        in (text)
    )
    assert f'href="{link}"' in html
    assert 'Hello &quot;Bo&quot;, here are a few shows' in html
    assert 'Tom &amp; Jerry &lt;live&gt;' in html and 'Rock &amp; Roll Hall' in html
    assert '<live>' not in html and '"Bo"' not in html


def test_a_second_reminder_run_the_same_local_day_sends_nothing_even_after_a_restart(app, stage, smtp_server):
    people = [make_user() for _ in range(3)]

    first = mailings.send_reminders(now=NOW)
    again = mailings.send_reminders(now=NOW + dt.timedelta(hours=5))  # 23:30 in Kolkata: the same day
    get_settings.cache_clear()  # a restart: settings read again, a new engine, nothing kept in memory
    configure(app)
    restarted = mailings.send_reminders(now=NOW + dt.timedelta(hours=5, minutes=20))

    assert (first.sent, again.sent, restarted.sent) == (3, 0, 0)
    assert (again.skipped, restarted.skipped) == (3, 3)
    assert sorted(smtp_server.recipients) == sorted(p.email for p in people)
    next_day = mailings.send_reminders(now=NOW + dt.timedelta(hours=5, minutes=40))  # 00:10 on the 11th
    assert (next_day.period, next_day.sent) == ('2026-12-11', 3)


def test_a_dry_run_counts_who_would_get_mail_and_sends_and_records_nothing(stage, smtp_server):
    for _ in range(3):
        make_user()

    dry = mailings.send_reminders(now=NOW, dry_run=True)

    assert (dry.dry_run, dry.status, dry.sent) == (True, 'done', 3)
    assert dry.describe().startswith('reminder 2026-12-10: would send 3')
    assert smtp_server.received == []
    assert delivery_rows('reminder') == []
    real = mailings.send_reminders(now=NOW)  # the dry run took nobody's turn
    assert real.sent == 3 and len(smtp_server.received) == 3


# --- the monthly reports ---------------------------------------------------------------------------------

AFTER_OCTOBER = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)  # 08:30 on 1 November in Kolkata


def at(day: int, month: int = 10, hour: int = 12) -> dt.datetime:
    """Noon in Kolkata on a day of 2026: no doubt about which month or day it belongs to."""
    return dt.datetime(2026, month, day, hour, 0, tzinfo=IST)


@pytest.fixture
def october(app):
    """A month of bookings and ratings, with hand-computed figures in the tests that use it.

    Alpha (Pune) and Beta (Mumbai) belong to `boss`. In October (Kolkata time):
    ann booked Hamlet ×3 at ₹200 and Macbeth ×4 at ₹100 (and cancelled an Othello), rated Hamlet 4;
    rater booked Hamlet ×2 in September and rated it 5 in October; bob (no reports wanted) booked
    all 4 seats of 'Kiss & Tell' at ₹300; idle booked in September and November and cancelled in October.
    """
    boss = make_user(role='manager', name='Boss Lady')
    no_theatres = make_user(role='manager')
    admin = make_user(role='admin')
    alpha = make_theatre(boss, name='Alpha', place='Pune')
    beta = make_theatre(boss, name='Beta', place='Mumbai')
    hamlet = make_show(alpha, name='Hamlet', starts_at=at(20, hour=19), num_tickets=10, price_cents=20000)
    macbeth = make_show(alpha, name='Macbeth', starts_at=at(15, 11, hour=19), num_tickets=20, price_cents=10000)
    othello = make_show(alpha, name='Othello', starts_at=at(25, hour=19), num_tickets=10, price_cents=5000)
    kiss = make_show(beta, name='Kiss & Tell', starts_at=at(30, hour=19), num_tickets=4, price_cents=30000)
    ann = make_user(name='Ann Example')
    rater = make_user()
    bob = make_user(wants_reports=False)
    idle = make_user()
    make_booking(ann, hamlet, tickets=3, created_at=at(5))
    make_booking(ann, macbeth, tickets=4, created_at=at(10))
    make_booking(ann, othello, tickets=1, status='cancelled', created_at=at(12))
    make_booking(rater, hamlet, tickets=2, created_at=at(25, 9))
    make_booking(bob, kiss, tickets=4, created_at=at(2))
    make_booking(idle, othello, tickets=1, created_at=at(20, 9))
    make_booking(idle, macbeth, tickets=1, created_at=at(2, 11))
    make_booking(idle, hamlet, tickets=1, status='cancelled', created_at=at(15))
    with session_scope() as s:
        ratings.rate_show(s, user_id=ann.id, show_id=hamlet.id, score=4, now=at(21))
        ratings.rate_show(s, user_id=rater.id, show_id=hamlet.id, score=5, now=at(22))
        ratings.rate_show(s, user_id=idle.id, show_id=othello.id, score=2, now=at(3, 11))  # rated in November
    return dict(boss=boss, no_theatres=no_theatres, admin=admin, ann=ann, rater=rater, bob=bob, idle=idle)


def test_monthly_reports_go_to_people_with_something_to_report(october, smtp_server):
    result = mailings.send_monthly_reports(now=AFTER_OCTOBER)

    people = october
    assert result.period == '2026-10'
    assert (result.status, result.sent) == ('done', 3)
    assert sorted(smtp_server.recipients) == sorted([people['ann'].email, people['rater'].email, people['boss'].email])


def test_audience_report_figures_match_the_month(october, smtp_server):
    mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    by_person = {r.to: r.message for r in smtp_server.received}
    message = by_person[october['ann'].email]
    assert message['Subject'] == 'Your October 2026 at TicketShow'
    text, html = text_of(message), html_of(message)
    assert '2 bookings, 7 tickets, ₹1,000 in all.' in text
    assert '- Hamlet at Alpha, Tue 20 Oct 2026, 19:00 IST: 3 tickets, ₹600' in text
    assert '- Macbeth at Alpha, Sun 15 Nov 2026, 19:00 IST: 4 tickets, ₹400' in text
    assert 'Total: 7 tickets, ₹1,000' in text
    assert '- Hamlet at Alpha: 4/5' in text
    assert 'Othello' not in text  # cancelled
    assert '2 bookings, 7 tickets, ₹1,000 in all.' in html
    assert '<b>7</b>' in html and '<b>₹1,000</b>' in html
    assert '★★★★☆' in html
    assert 'Othello' not in html

    rater = by_person[october['rater'].email]
    assert 'No bookings this month.' in text_of(rater)
    assert '- Hamlet at Alpha: 5/5' in text_of(rater)
    assert '★★★★★' in html_of(rater)


def test_manager_report_figures_and_inline_chart(october, smtp_server):
    mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    by_person = {r.to: r.message for r in smtp_server.received}
    message = by_person[october['boss'].email]
    assert message['Subject'] == 'October 2026: how your theatres did'
    text, html = text_of(message), html_of(message)
    assert '3 bookings, 11 tickets, ₹2,200 revenue across 2 theatres.' in text
    # Alpha's October performances: Hamlet 5 of 10 seats sold, Othello 1 of 10 (Macbeth is in November)
    assert "Alpha (Pune): 7 tickets, ₹1,000, occupancy of the month's 2 performances: 30%" in text
    assert "Beta (Mumbai): 4 tickets, ₹1,200, occupancy of the month's 1 performance: 100%" in text
    best = [line.strip() for line in text.splitlines() if line.startswith('  best:')]
    assert best == [
        'best: Macbeth, Sun 15 Nov 2026, 19:00 IST: 4 tickets, ₹400',
        'best: Hamlet, Tue 20 Oct 2026, 19:00 IST: 3 tickets, ₹600',
        'best: Kiss & Tell, Fri 30 Oct 2026, 19:00 IST: 4 tickets, ₹1,200',
    ]
    cell = r'<b>([^<]+)</b><br><span style="color:#4b5563">([^<]+)</span></td><td[^>]*>([^<]+)<br>'
    best_shows = re.findall(cell, html)
    assert best_shows == [  # each with its date and time, best first
        ('Macbeth', 'Sun 15 Nov 2026, 19:00 IST', '4 tickets'),
        ('Hamlet', 'Tue 20 Oct 2026, 19:00 IST', '3 tickets'),
        ('Kiss &amp; Tell', 'Fri 30 Oct 2026, 19:00 IST', '4 tickets'),
    ]
    assert 'of 2 performances' in html and 'of 1 performance<' in html
    assert '30%' in html and '100%' in html and '₹2,200' in html

    [cid] = re.findall(r'<img src="cid:([^"]+)"', html)
    images = [p for p in message.walk() if p.get_content_type() == 'image/png']
    assert [p['Content-ID'] for p in images] == [f'<{cid}>']
    assert images[0].get_content().startswith(b'\x89PNG\r\n\x1a\n')


def test_the_audience_report_lists_bookings_by_the_date_of_their_show(october, smtp_server):
    """Booked in October in this order: a December show, then one at the end of October, then one ticket for a
    November show; the report reads in the order the shows take place, and one ticket is '1 ticket'."""
    gamma = make_theatre(october['boss'], name='Gamma', place='Goa')
    person = make_user(name='Dee Order')
    for name, show_day, booked_day, tickets in (
        ('Winter Tale', at(1, 12, hour=18), at(3), 2),
        ('Late October', at(28, hour=20), at(20), 3),
        ('November Rain', at(7, 11, hour=21), at(22), 1),
    ):
        show = make_show(gamma, name=name, starts_at=show_day, num_tickets=10, price_cents=10000)
        make_booking(person, show, tickets=tickets, created_at=booked_day)
    mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    message = {r.to: r.message for r in smtp_server.received}[person.email]
    text, html = text_of(message), html_of(message)
    lines = [line for line in text.splitlines() if line.startswith('- ')]
    assert lines == [
        '- Late October at Gamma, Wed 28 Oct 2026, 20:00 IST: 3 tickets, ₹300',
        '- November Rain at Gamma, Sat 07 Nov 2026, 21:00 IST: 1 ticket, ₹100',
        '- Winter Tale at Gamma, Tue 01 Dec 2026, 18:00 IST: 2 tickets, ₹200',
    ]
    assert '3 bookings, 6 tickets, ₹600 in all.' in text
    assert html.index('Late October') < html.index('November Rain') < html.index('Winter Tale')


def test_the_manager_report_says_when_a_theatre_had_no_performances(october, smtp_server):
    """Gamma sold tickets in October for a November show only: its occupancy is no figure, but words."""
    gamma = make_theatre(october['boss'], name='Gamma', place='Goa')
    later = make_show(gamma, name='Next Month', starts_at=at(20, 11, hour=19), num_tickets=200, price_cents=10000)
    make_booking(make_user(), later, tickets=1, created_at=at(12))
    mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    message = {r.to: r.message for r in smtp_server.received}[october['boss'].email]
    text, html = text_of(message), html_of(message)
    assert 'Gamma (Goa): 1 ticket, ₹100, no performances this month' in text
    assert '  best: Next Month, Fri 20 Nov 2026, 19:00 IST: 1 ticket, ₹100' in text
    assert 'No performances this month' in html and 'no shows' not in html.lower()
    assert '4 bookings, 12 tickets, ₹2,300 revenue across 3 theatres.' in text


def test_manager_report_counts_tickets_per_local_day(october):
    with session_scope() as s:
        [report] = content.manager_reports(
            s, [october['boss'].id], '2026-10', get_settings().tz, get_settings().tz_name
        ).values()
    per_day = {t.name: t.per_day for t in report.theatres}
    assert per_day == {'Alpha': {dt.date(2026, 10, 5): 3, dt.date(2026, 10, 10): 4}, 'Beta': {dt.date(2026, 10, 2): 4}}


@pytest.fixture
def kolkata(any_db, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    return any_db


def test_month_boundaries_are_the_app_time_zones(kolkata):
    settings = get_settings()
    boss = make_user(role='manager')
    theatre = make_theatre(boss, name='Alpha')
    show = make_show(theatre, name='Midnight Show', starts_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    person = make_user()
    make_booking(person, show, tickets=2, created_at=dt.datetime(2026, 10, 31, 18, 15, tzinfo=dt.UTC))  # 23:45 IST
    make_booking(person, show, tickets=3, created_at=dt.datetime(2026, 10, 31, 18, 45, tzinfo=dt.UTC))  # 00:15 IST

    with session_scope() as s:
        audience = {
            m: content.audience_reports(s, [person.id], m, settings.tz)[person.id] for m in ('2026-10', '2026-11')
        }
        managers = {
            m: content.manager_reports(s, [boss.id], m, settings.tz, settings.tz_name)[boss.id].theatres[0]
            for m in ('2026-10', '2026-11')
        }
    assert [b.tickets for b in audience['2026-10'].bookings] == [2]
    assert [b.tickets for b in audience['2026-11'].bookings] == [3]
    assert (managers['2026-10'].tickets, managers['2026-10'].per_day) == (2, {dt.date(2026, 10, 31): 2})
    assert (managers['2026-11'].tickets, managers['2026-11'].per_day) == (3, {dt.date(2026, 11, 1): 3})
    just_after_midnight = dt.datetime(2026, 10, 31, 20, 30, tzinfo=dt.UTC)  # 02:00 on 1 November in Kolkata
    assert months.previous_month(just_after_midnight, settings.tz) == '2026-10'
    assert mailings.send_monthly_reports(now=just_after_midnight, dry_run=True).period == '2026-10'


def test_reminder_and_report_lines_read_a_show_in_its_theatre_s_time_zone_on_a_utc_machine(any_db, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')
    get_settings.cache_clear()
    settings = get_settings()
    boss = make_user(role='manager', name='Boss Lady')
    theatre = make_theatre(boss, name='Alpha', place='Pune')
    with session_scope() as s:
        s.get_one(Theatre, theatre.id).timezone = 'Asia/Kolkata'
    starts = dt.datetime(2026, 12, 12, 14, 0, tzinfo=dt.UTC)  # Sat 12 Dec, 19:30 in Pune
    hamlet = make_show(theatre, name='Hamlet', starts_at=starts, num_tickets=10, price_cents=20000)
    ann = make_user(name='Ann Example')
    make_booking(ann, hamlet, tickets=3, created_at=dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    shown = 'Sat 12 Dec 2026, 19:30 IST'

    with session_scope() as s:
        picks = content.popular_soon(s, now=dt.datetime(2026, 12, 5, tzinfo=dt.UTC))
        audience = content.audience_reports(s, [ann.id], '2026-12', settings.tz)[ann.id]
        manager = content.manager_reports(s, [boss.id], '2026-12', settings.tz, settings.tz_name)[boss.id]
    assert [(p.name, p.theatre_timezone) for p in picks] == [('Hamlet', 'Asia/Kolkata')]
    someone = content.Recipient(ann.id, 'ann', 'Ann Example', 'ann@example.com', 'audience')
    reminder = mail_render.render_reminder(someone, picks, base_url=BASE, unsubscribe_url=BASE + '/u')
    assert f'- Hamlet at Alpha, Pune: {shown}, ₹200, 7 tickets left.' in reminder.text
    assert shown in reminder.html
    report = mail_render.render_audience_report(
        someone, audience, month='2026-12', base_url=BASE, unsubscribe_url=BASE + '/u'
    )
    assert f'- Hamlet at Alpha, {shown}: 3 tickets, ₹600' in report.text and shown in report.html
    boss_report = mail_render.render_manager_report(
        someone, manager, month='2026-12', base_url=BASE, unsubscribe_url=BASE + '/u', chart_cid='chart'
    )
    assert f'  best: Hamlet, {shown}: 3 tickets, ₹600' in boss_report.text and shown in boss_report.html
    for rendered in (reminder, report, boss_report):
        assert '14:00' not in rendered.text + rendered.html


# --- unsubscribing ---------------------------------------------------------------------------------------


REMINDER_DAY = dt.datetime(2026, 11, 5, 12, 0, tzinfo=dt.UTC)  # nobody in `october` booked in the day before


def test_every_email_carries_an_unsubscribe_link_for_its_own_person_and_kind(october, smtp_server):
    make_show(make_theatre(october['boss']), starts_at=REMINDER_DAY + dt.timedelta(days=5))
    mailings.send_reminders(now=REMINDER_DAY)
    mailings.send_monthly_reports(now=AFTER_OCTOBER)

    secret = get_settings().mail_secret()
    ids = {person.email: person.id for person in october.values()}
    seen = Counter()
    for received in smtp_server.received:
        message = received.message
        url = unsubscribe_url_of(message)
        assert url.startswith(f'{BASE}/unsubscribe?t=')
        assert url in text_of(message) and f'href="{url}"' in html_of(message)
        kind = 'reminders' if message['Subject'] == 'Shows coming up for you' else 'reports'
        assert read_unsubscribe_token(secret, unsubscribe_token_of(message)) == (ids[received.to], kind)
        seen[kind] += 1
    assert seen == {'reminders': 4, 'reports': 3}


def test_an_unsubscribe_link_ends_that_kind_at_once_and_only_that_kind(october, smtp_server):
    make_show(make_theatre(october['boss']), starts_at=REMINDER_DAY + dt.timedelta(days=5))
    ann, rater = october['ann'], october['rater']
    mailings.send_reminders(now=REMINDER_DAY)
    token = unsubscribe_token_of(next(r.message for r in smtp_server.received if r.to == ann.email))

    with session_scope() as s:
        done = preferences.unsubscribe(s, token=token)
    assert (done.kind, done.email) == ('reminders', ann.email)
    with session_scope() as s:
        assert preferences.mail_preferences(s, user_id=ann.id) == preferences.MailPreferences(False, True)

    smtp_server.received.clear()
    mailings.send_reminders(now=REMINDER_DAY + dt.timedelta(days=1))
    mailings.send_monthly_reports(now=AFTER_OCTOBER)
    got = Counter((r.to, r.message['Subject']) for r in smtp_server.received)
    assert (ann.email, 'Shows coming up for you') not in got
    assert got[(ann.email, 'Your October 2026 at TicketShow')] == 1
    assert got[(rater.email, 'Shows coming up for you')] == 1

    with session_scope() as s:
        preferences.unsubscribe(s, token=token, subscribe=True)
    smtp_server.received.clear()
    mailings.send_reminders(now=REMINDER_DAY + dt.timedelta(days=2))
    assert ann.email in smtp_server.recipients


def _forged(token: str) -> str:
    """The same token naming someone else: the id changed, the signature kept."""
    raw = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4))
    user_id, _, rest = raw.partition(b':')
    return base64.urlsafe_b64encode(str(int(user_id) + 1).encode() + b':' + rest).decode().rstrip('=')


@pytest.mark.parametrize('broken', [_forged, lambda t: t[:-5], lambda t: t[:10], lambda t: 'x' + t[1:]])
def test_a_forged_or_truncated_unsubscribe_link_is_refused_and_changes_nothing(october, smtp_server, broken):
    make_show(make_theatre(october['boss']), starts_at=REMINDER_DAY + dt.timedelta(days=5))
    mailings.send_reminders(now=REMINDER_DAY)
    token = unsubscribe_token_of(smtp_server.received[0].message)

    with session_scope() as s, pytest.raises(NotFound) as refused:
        preferences.unsubscribe(s, token=broken(token))

    assert 'not valid' in refused.value.message
    with session_scope() as s:
        assert s.scalar(select(func.count(User.id)).where(User.wants_reminders.is_(False))) == 0


@pytest.mark.parametrize('bad', ['yes', 'false', 1, 0, None, [True]])
def test_mail_preferences_take_only_true_or_false_and_change_nothing_otherwise(app, bad):
    person = make_user()
    with session_scope() as s, pytest.raises(Invalid) as refused:
        preferences.set_mail_preferences(s, user_id=person.id, reminders=bad, reports=False)
    with session_scope() as s, pytest.raises(Invalid):
        preferences.set_mail_preferences(s, user_id=person.id, reminders=False, reports=bad)

    assert refused.value.errors == {'reminders': 'Choose on or off.'}
    with session_scope() as s:
        assert preferences.mail_preferences(s, user_id=person.id) == preferences.MailPreferences(True, True)
        assert preferences.set_mail_preferences(s, user_id=person.id, reminders=False, reports=True)
    with session_scope() as s:
        assert preferences.mail_preferences(s, user_id=person.id) == preferences.MailPreferences(False, True)


# --- reliability: each email exactly once ----------------------------------------------------------------


@pytest.fixture
def crowd(stage):
    """Five audience members who each get today's reminder, in id order."""
    return [make_user(username=f'person{i}') for i in range(1, 6)]


def test_people_are_read_a_page_at_a_time_and_nobody_is_missed_or_mailed_twice(stage, crowd, smtp_server, monkeypatch):
    monkeypatch.setattr(content, 'PAGE_SIZE', 2)  # five audience members and a manager: three pages
    manager, theatre, _ = stage
    show = make_show(theatre, starts_at=at(20))
    for person in crowd:
        make_booking(person, show, tickets=1, created_at=at(7))

    reminded = mailings.send_reminders(now=NOW)
    reported = mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    assert (reminded.sent, reported.sent) == (5, 6)
    assert Counter(smtp_server.recipients) == Counter([p.email for p in crowd] * 2 + [manager.email])
    assert [(r.kind, r.sent, r.status) for r in job_runs()] == [('reminder', 5, 'done'), ('report', 6, 'done')]


def test_a_refused_recipient_is_recorded_and_retried_until_the_limit_while_the_rest_go(crowd, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_MAIL_MAX_ATTEMPTS', '2')
    get_settings.cache_clear()
    refused = crowd[1]
    smtp_server.refuse = {refused.email}

    first = mailings.send_reminders(now=NOW)

    assert (first.status, first.sent, first.failed) == ('done', 4, 1)
    assert sorted(smtp_server.recipients) == sorted(p.email for p in crowd if p is not refused)
    row = next(d for d in delivery_rows('reminder') if d.user_id == refused.id)
    assert (row.status, row.attempts, row.sent_at) == ('failed', 1, None)
    assert row.error == f'recipient refused: {refused.email} (550 5.1.1 no such user)'

    second = mailings.send_reminders(now=NOW + dt.timedelta(hours=1))
    assert (second.sent, second.failed, second.skipped) == (0, 1, 4)
    assert smtp_server.refused == [refused.email, refused.email]
    third = mailings.send_reminders(now=NOW + dt.timedelta(hours=2))
    assert (third.sent, third.failed, third.skipped) == (0, 0, 5)
    assert smtp_server.refused == [refused.email, refused.email]  # not tried a third time
    assert statuses('reminder')[refused.id] == 'failed'
    assert len(smtp_server.received) == 4


def test_a_message_that_cannot_be_built_fails_for_that_person_only(crowd, smtp_server, monkeypatch):
    broken = crowd[2]
    render = mail_render.render_reminder

    def render_or_break(person, picks, **kwargs):
        if person.user_id == broken.id:
            raise ValueError('a template bug')
        return render(person, picks, **kwargs)

    monkeypatch.setattr(mail_render, 'render_reminder', render_or_break)

    result = mailings.send_reminders(now=NOW)

    assert (result.status, result.sent, result.failed) == ('done', 4, 1)
    row = next(d for d in delivery_rows('reminder') if d.user_id == broken.id)
    assert (row.status, row.attempts) == ('failed', 1)
    assert row.error == 'could not build the message: ValueError: a template bug'
    assert broken.email not in smtp_server.recipients


def test_a_server_dying_mid_batch_fails_the_run_and_the_next_run_sends_exactly_the_rest(crowd, smtp_server):
    smtp_server.die_after = 2

    broken = mailings.send_reminders(now=NOW)

    assert broken.status == 'failed'
    assert 'connection' in broken.error
    assert (broken.sent, broken.failed) == (2, 1)
    assert smtp_server.recipients == [crowd[0].email, crowd[1].email]
    assert statuses('reminder') == {crowd[0].id: 'sent', crowd[1].id: 'sent', crowd[2].id: 'failed'}
    [run] = job_runs()
    assert (run.status, run.sent, run.failed, run.error) == ('failed', 2, 1, broken.error)

    smtp_server.start()  # back on the same port
    resumed = mailings.send_reminders(now=NOW + dt.timedelta(minutes=15))

    assert (resumed.status, resumed.sent, resumed.failed, resumed.skipped) == ('done', 3, 0, 2)
    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd)  # each exactly once, in all
    assert set(statuses('reminder').values()) == {'sent'}


def test_a_server_down_at_the_start_fails_the_run_cleanly_and_a_later_run_sends_all(crowd, smtp_server):
    smtp_server.stop()

    down = mailings.send_reminders(now=NOW)

    assert (down.status, down.sent) == ('failed', 0)
    assert down.error.startswith(f'cannot reach the SMTP server 127.0.0.1:{smtp_server.port}')
    assert 'sent' not in statuses('reminder').values()
    smtp_server.start()
    up = mailings.send_reminders(now=NOW + dt.timedelta(minutes=15))
    assert (up.status, up.sent) == ('done', 5)
    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd)


def test_an_outage_longer_than_the_attempt_limit_loses_nobodys_email(crowd, smtp_server):
    smtp_server.stop()
    attempts = get_settings().mail_max_attempts
    for minutes in range(attempts):  # e.g. the scheduler retrying every RETRY_AFTER during a long outage
        assert mailings.send_reminders(now=NOW + dt.timedelta(minutes=15 * minutes)).status == 'failed'

    smtp_server.start()
    mailings.send_reminders(now=NOW + dt.timedelta(hours=1))

    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd)


def test_two_runs_at_once_deliver_each_report_exactly_once(app, smtp_server):
    boss = make_user(role='manager')
    show = make_show(make_theatre(boss), starts_at=at(28), num_tickets=100)
    people = [make_user() for _ in range(8)]
    for person in people:
        make_booking(person, show, tickets=1, created_at=at(3))
    start = threading.Barrier(2)
    results = []

    def run() -> None:
        start.wait()
        results.append(mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status for r in results] == ['done', 'done']
    assert sum(r.sent for r in results) == 9  # eight audience reports and the manager's
    assert Counter(smtp_server.recipients) == Counter([boss.email] + [p.email for p in people])
    assert set(statuses('report').values()) == {'sent'} and len(statuses('report')) == 9


def test_a_claim_left_by_a_sender_that_died_mid_send_is_never_sent_again(crowd, smtp_server):
    crashed = crowd[2]
    with session_scope() as s:
        s.add(MailDelivery(user_id=crashed.id, kind='reminder', period='2026-12-10', status='claimed', attempts=1))

    result = mailings.send_reminders(now=NOW)

    assert (result.status, result.sent, result.skipped) == ('done', 4, 1)
    assert crashed.email not in smtp_server.recipients
    assert statuses('reminder')[crashed.id] == 'claimed'


# --- the outbox (no SMTP server configured) --------------------------------------------------------------


@pytest.fixture
def outbox_app(stage, monkeypatch):
    monkeypatch.delenv('TICKETSHOW_SMTP_HOST', raising=False)
    get_settings.cache_clear()
    return stage


def test_without_an_smtp_host_mail_goes_to_outbox_files_an_admin_can_list(outbox_app):
    people = [make_user() for _ in range(3)]
    admin = make_user(role='admin')

    result = mailings.send_reminders(now=NOW)

    assert (result.status, result.sent) == ('done', 3)
    files = sorted(get_settings().outbox_dir.glob('*.eml'))
    parsed = {f.name: email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files}
    assert sorted(m['To'] for m in parsed.values()) == sorted(p.email for p in people)
    assert {m['Subject'] for m in parsed.values()} == {'Shows coming up for you'}
    with session_scope() as s:
        listed = mail_admin.outbox(s, actor_id=admin.id)
        path = mail_admin.outbox_file(s, actor_id=admin.id, name=listed[0].name)
    assert sorted((i.name, i.to, i.subject) for i in listed) == sorted(
        (name, m['To'], m['Subject']) for name, m in parsed.items()
    )
    assert path.read_bytes() == (get_settings().outbox_dir / listed[0].name).read_bytes()


@pytest.mark.parametrize('role', ['user', 'manager'])
def test_only_admins_read_the_outbox(outbox_app, role):
    someone = make_user(role=role)
    with session_scope() as s, pytest.raises(NotAllowed):
        mail_admin.outbox(s, actor_id=someone.id)
    with session_scope() as s, pytest.raises(NotAllowed):
        mail_admin.outbox_file(s, actor_id=someone.id, name='20261210-130000-0123abcd.eml')


@pytest.mark.parametrize(
    'name',
    ['../x.eml', '../../x.eml', '/etc/passwd', 'x.eml', '20261210-130000-0123abcd.eml', '', None, 7],
)
def test_the_outbox_serves_no_file_outside_it_or_missing(outbox_app, name):
    admin = make_user(role='admin')
    folder = get_settings().outbox_dir
    folder.mkdir(parents=True)
    for planted in (folder.parent / 'x.eml', folder / 'x.eml'):  # files there are, that the outbox did not write
        planted.write_bytes(b'To: someone\r\n\r\nnot from the outbox')
    with session_scope() as s, pytest.raises(NotFound):
        mail_admin.outbox_file(s, actor_id=admin.id, name=name)


# --- running the jobs by hand ----------------------------------------------------------------------------


def test_only_admins_run_the_jobs_and_see_the_runs(stage, smtp_server):
    admin, manager = make_user(role='admin'), stage[0]
    make_user()
    mailings.send_reminders(now=NOW, trigger='cli')
    with session_scope() as s:
        [run] = mail_admin.recent_runs(s, actor_id=admin.id)
        with pytest.raises(NotAllowed):
            mail_admin.recent_runs(s, actor_id=manager.id)
        with pytest.raises(NotAllowed):
            mail_admin.run_now(s, actor_id=manager.id, kind='reminder', dry_run=True)
        with pytest.raises(Invalid) as bad_month:
            mail_admin.run_now(s, actor_id=admin.id, kind='report', dry_run=True, month='2026-13')
        with pytest.raises(Invalid) as bad_kind:
            mail_admin.run_now(s, actor_id=admin.id, kind='everything', dry_run=True)
    assert (run.kind, run.period, run.trigger, run.status, run.sent) == ('reminder', '2026-12-10', 'cli', 'done', 1)
    assert 'month' in bad_month.value.errors and 'kind' in bad_kind.value.errors
    assert len(job_runs()) == 1
