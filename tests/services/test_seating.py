"""Reserved seating (issue 15): seat maps, how a show is sold, seat statuses, booking by seat or best block,
section prices, house seats and the audit events they leave."""

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from models import AuditAction, AuditEvent, Role, SeatKind, Show, Theatre, Ticket, TicketStatus, User
from models.db import session_scope, utcnow
from models.seat import seat_name
from services import booking, shows
from services.errors import Conflict, Invalid, NotFound
from services.seating import SeatsTaken, holds, layout, maps, seats, show_config
from services.shows import ShowView
from tests.factories import make_show, make_theatre, make_user, tickets_sold

LATER = dt.timedelta(days=3)
# Stalls: rows A–C of 6 seats at x 0–5; Circle: rows A–B of 4 seats at x 1–4, behind. The stage is centred at x 2.5.
HOUSE = layout.generate([('Stalls', 3, 6), ('Circle', 2, 4)])
HOUSE_SEATS = 26


# --- helpers -----------------------------------------------------------------------------------------------


def put_map(manager: User, theatre: Theatre, body: object, *, now: dt.datetime | None = None) -> maps.SeatMapView:
    with session_scope() as s:
        return maps.put_seatmap(s, actor_id=manager.id, theatre_id=theatre.id, body=body, now=now)


def map_body(theatre: Theatre) -> dict:
    with session_scope() as s:
        view = maps.load_map(s, theatre.id)
        return {} if view is None else view.as_body()


def seat_ids(theatre: Theatre) -> dict[str, int]:
    """Every seat on the theatre's map by name ('Stalls A1')."""
    with session_scope() as s:
        return {seat.name: seat.id for seat in maps.seat_rows(s, theatre.id)}


def create_reserved(
    manager: User,
    theatre: Theatre,
    *,
    prices: dict | None = None,
    num_tickets: object = None,
    starts_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ShowView:
    with session_scope() as s:
        return shows.create_show(
            s,
            actor_id=manager.id,
            theatre_id=theatre.id,
            name='Hamlet',
            rating='4',
            tags='',
            ticket_price='100',
            num_tickets=num_tickets,
            starts_at=starts_at or utcnow() + LATER,
            seating='reserved',
            section_prices=prices,
            now=now,
        )


def statuses(show_id: int, *, viewer_id: int | None = None, now: dt.datetime | None = None) -> dict[str, str]:
    """Seat name → free/held/sold/blocked (with '+mine' for the viewer's own held seats)."""
    with session_scope() as s:
        view = seats.show_seats(s, show_id=show_id, viewer_id=viewer_id, now=now)
    return {
        seat_name(section.name, row.label, seat.label): seat.status + ('+mine' if seat.mine else '')
        for section in view.sections
        for row in section.rows
        for seat in row.seats
    }


def version(show_id: int) -> int:
    with session_scope() as s:
        return seats.version(s, show_id=show_id)


def num_tickets(show_id: int) -> int:
    with session_scope() as s:
        return s.get_one(Show, show_id).num_tickets


def capacity(theatre: Theatre) -> int:
    with session_scope() as s:
        return s.get_one(Theatre, theatre.id).capacity


def events(action: AuditAction) -> list[AuditEvent]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def book_seats(user: User, show_id: int, names: list[str], ids: dict[str, int]) -> booking.BookingView:
    with session_scope() as s:
        return booking.book(s, show_id=show_id, user_id=user.id, seats=[ids[n] for n in names])


def book_best(user: User, show_id: int, count: int) -> booking.BookingView:
    with session_scope() as s:
        return booking.book(s, show_id=show_id, user_id=user.id, tickets=count)


@dataclass
class Venue:
    manager: User
    theatre: Theatre
    show: ShowView  # reserved, Circle at 150.00, the rest at the ticket price 100.00
    buyer: User
    ids: dict[str, int]


@pytest.fixture
def venue(database) -> Venue:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, capacity=10)
    put_map(manager, theatre, HOUSE)
    show = create_reserved(manager, theatre, prices={'Circle': '150'})
    return Venue(manager, theatre, show, make_user(), seat_ids(theatre))


# --- seat maps ---------------------------------------------------------------------------------------------


def test_a_map_of_bare_labels_is_laid_out_and_sets_the_capacity(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, capacity=500)
    body = {
        'sections': [
            {'name': 'Stalls', 'rows': [{'label': 'A', 'seats': ['1', '2', 3]}, {'label': 'B', 'seats': ['1', '2']}]},
            {
                'name': 'Box',
                'rows': [
                    {'label': '1', 'seats': [{'label': '1', 'kind': 'wheelchair'}, {'label': '2', 'kind': 'blocked'}]}
                ],
            },
        ]
    }
    view = put_map(manager, theatre, body)
    assert view.seats == 6  # the blocked seat is on the map but not for sale; the wheelchair space is
    assert capacity(theatre) == 6
    stalls, box = view.sections
    assert [(r.label, [(s.label, s.x, s.y) for s in r.seats]) for r in stalls.rows] == [
        ('A', [('1', 0.0, 0.0), ('2', 1.0, 0.0), ('3', 2.0, 0.0)]),
        ('B', [('1', 0.0, 1.0), ('2', 1.0, 1.0)]),
    ]
    assert [(s.label, s.kind, s.y) for s in box.rows[0].seats] == [
        ('1', SeatKind.WHEELCHAIR, 4.0),  # placed below the stalls, after a gap of two rows
        ('2', SeatKind.BLOCKED, 4.0),
    ]
    assert (view.stage.x, view.stage.y) == (1.0, -2.0)  # centred above the first row
    with session_scope() as s:
        assert maps.get_seatmap(s, actor_id=manager.id, theatre_id=theatre.id).as_body() == view.as_body()


def test_seat_ids_are_kept_across_saves_and_a_seat_drawn_again_gets_its_id_back(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    first = put_map(manager, theatre, HOUSE).as_body()
    before = seat_ids(theatre)
    assert put_map(manager, theatre, first).as_body() == first  # the export is taken back unchanged
    smaller = layout.generate([('Stalls', 2, 6)])
    put_map(manager, theatre, smaller)
    assert seat_ids(theatre) == {name: i for name, i in before.items() if name.startswith(('Stalls A', 'Stalls B'))}
    assert capacity(theatre) == 12
    put_map(manager, theatre, HOUSE)
    assert seat_ids(theatre) == before  # removed seats were only marked removed
    assert capacity(theatre) == HOUSE_SEATS


def test_the_map_of_a_theatre_without_one_or_of_someone_elses_theatre_is_not_found(database):
    manager, other = make_user(role=Role.MANAGER), make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    with pytest.raises(NotFound, match='no seat map yet'), session_scope() as s:
        maps.get_seatmap(s, actor_id=manager.id, theatre_id=theatre.id)
    with pytest.raises(NotFound, match='No such theatre'), session_scope() as s:
        maps.put_seatmap(s, actor_id=other.id, theatre_id=theatre.id, body=HOUSE)
    assert map_body(theatre) == {} and seat_ids(theatre) == {}


def test_a_seat_booked_for_a_future_show_cannot_be_removed_or_blocked(venue):
    book_seats(venue.buyer, venue.show.id, ['Stalls A1'], venue.ids)
    before = map_body(venue.theatre)
    without_row_a = layout.generate([('Stalls', 3, 6), ('Circle', 2, 4)])
    without_row_a['sections'][0]['rows'][0]['seats'].pop(0)
    with pytest.raises(Conflict) as error:
        put_map(venue.manager, venue.theatre, without_row_a)
    assert error.value.message == (
        'These seats are in use and cannot be removed or blocked: Stalls A1 (booked for Hamlet).'
    )
    blocked = layout.generate([('Stalls', 3, 6), ('Circle', 2, 4)])
    blocked['sections'][0]['rows'][0]['seats'][0]['kind'] = 'blocked'
    with pytest.raises(Conflict, match=r'Stalls A1 \(booked for Hamlet\)'):
        put_map(venue.manager, venue.theatre, blocked)
    assert map_body(venue.theatre) == before
    assert capacity(venue.theatre) == HOUSE_SEATS
    # Other seats may go: the reserved show now offers the smaller map.
    blocked['sections'][0]['rows'][0]['seats'][0]['kind'] = 'standard'
    blocked['sections'][0]['rows'][0]['seats'][1]['kind'] = 'blocked'
    assert put_map(venue.manager, venue.theatre, blocked).seats == HOUSE_SEATS - 1
    assert num_tickets(venue.show.id) == HOUSE_SEATS - 1


def test_a_map_smaller_than_an_upcoming_general_show_is_refused(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, capacity=100)
    make_show(theatre, num_tickets=30)
    with pytest.raises(Conflict) as error:
        put_map(manager, theatre, HOUSE)
    assert error.value.message == (
        'This map has 26 seats for sale, but an upcoming general-admission show of this theatre offers 30 tickets.'
    )
    assert map_body(theatre) == {} and capacity(theatre) == 100


def test_changing_the_map_resizes_reserved_shows_less_their_house_seats_and_tells_pickers(venue):
    with session_scope() as s:
        show_config.set_house_seats(
            s, actor_id=venue.manager.id, show_id=venue.show.id, seats=[venue.ids['Circle B1'], venue.ids['Circle B2']]
        )
    assert num_tickets(venue.show.id) == HOUSE_SEATS - 2
    seen = version(venue.show.id)
    put_map(venue.manager, venue.theatre, layout.generate([('Stalls', 3, 6), ('Circle', 1, 4)]))  # row B goes
    assert num_tickets(venue.show.id) == 22  # the house seats went with their row
    assert version(venue.show.id) > seen
    assert set(statuses(venue.show.id).values()) == {'free'}


def test_saving_a_map_is_audited_with_the_seat_counts(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, HOUSE)
    put_map(manager, theatre, layout.generate([('Stalls', 2, 6)]))
    trail = events(AuditAction.SEATMAP_CHANGED)
    assert [(e.actor_id, e.theatre_id, e.changes) for e in trail] == [
        (manager.id, theatre.id, {'seats': [0, 26], 'removed': 0}),
        (manager.id, theatre.id, {'seats': [26, 12], 'removed': 14}),
    ]


def _sections(*sections):
    return {'sections': list(sections)}


def _stalls(*rows):
    return {'name': 'Stalls', 'rows': list(rows)}


def _row(*seats_, label='A'):
    return {'label': label, 'seats': list(seats_)}


STALLS_A = 'Section "Stalls", row A'


@pytest.mark.parametrize(
    'body, message',
    [
        pytest.param(['Stalls'], 'A seat map is an object with "sections".', id='not-an-object'),
        pytest.param({}, 'The map: Sections must be a list.', id='no-sections'),
        pytest.param(_sections(), 'The map: Sections must not be empty.', id='empty-sections'),
        pytest.param(_sections('Stalls'), 'Section 1: A section is an object with "name" and "rows".', id='section'),
        pytest.param(
            _sections({'rows': [_row('1')]}), 'Section 1: A section name must be text.', id='section-without-name'
        ),
        pytest.param(
            _sections({'name': '  ', 'rows': [_row('1')]}), 'Section 1: A section name is required.', id='blank-name'
        ),
        pytest.param(
            _sections({'name': 'S' * 41, 'rows': [_row('1')]}),
            f'Section 1: A section name "{"S" * 40}…" is longer than 40 characters.',
            id='long-name',
        ),
        pytest.param(
            _sections({'name': '<b>Stalls</b>', 'rows': [_row('1')]}),
            'Section 1: A section name must not contain < or > or control characters.',
            id='markup-in-name',
        ),
        pytest.param(
            _sections(_stalls(_row('1')), _stalls(_row('1'))),
            'Section "Stalls": Two sections have this name; section names must be unique.',
            id='duplicate-section',
        ),
        pytest.param(_sections(_stalls()), 'Section "Stalls": Rows must not be empty.', id='no-rows'),
        pytest.param(
            _sections(_stalls(['1'])),
            'Section "Stalls", row 1: A row is an object with "label" and "seats".',
            id='row-not-an-object',
        ),
        pytest.param(
            _sections(_stalls(_row('1'), _row('1'))),
            f'{STALLS_A}: Two rows have this label; row labels must be unique within a section.',
            id='duplicate-row',
        ),
        pytest.param(_sections(_stalls(_row())), f'{STALLS_A}: Seats must not be empty.', id='no-seats'),
        pytest.param(
            _sections(_stalls(_row('1', '2', ' 1'))),
            f'{STALLS_A}, seat 1: Two seats have this label; labels are unique in a row.',
            id='duplicate-seat',
        ),
        pytest.param(
            _sections(_stalls(_row('1', {'label': '2', 'kind': 'vip'}))),
            f'{STALLS_A}, seat 2: A seat\'s kind is "standard", "wheelchair" or "blocked".',
            id='bad-kind',
        ),
        pytest.param(
            _sections(_stalls(_row({'label': '1', 'x': 'left'}))),
            f'{STALLS_A}, seat 1: x must be a number.',
            id='x-not-a-number',
        ),
        pytest.param(
            _sections(_stalls(_row({'label': '1', 'x': float('nan')}))),
            f'{STALLS_A}, seat 1: x must be a number.',
            id='x-nan',
        ),
        pytest.param(
            _sections(_stalls(_row({'label': '1', 'y': 10_001}))),
            f'{STALLS_A}, seat 1: y must be between -10,000 and 10,000.',
            id='y-too-far',
        ),
        pytest.param(
            _sections(_stalls(_row({'label': '1', 'kind': 'blocked'}))),
            'The map: At least one seat must be for sale (not blocked).',
            id='all-blocked',
        ),
        pytest.param(
            {**_sections(_stalls(_row('1'))), 'stage': {'width': 0}},
            'The stage: width must be more than 0.',
            id='stage-width',
        ),
        pytest.param(
            {**_sections(_stalls(_row('1'))), 'stage': 'front'},
            'The stage: The stage is an object with "x", "y" and "width".',
            id='stage-not-an-object',
        ),
        pytest.param(
            _sections(*({'name': f'S{n}', 'rows': [_row('1')]} for n in range(51))),
            'The map: At most 50 sections.',
            id='too-many-sections',
        ),
        pytest.param(
            _sections(_stalls(_row(*range(1, 2002)))), f'{STALLS_A}: At most 2,000 seats.', id='too-long-a-row'
        ),
        pytest.param(
            _sections(*({'name': f'S{n}', 'rows': [_row(*range(2000), label=r) for r in 'ABC']} for n in range(17))),
            'A seat map has at most 100,000 seats.',
            id='too-many-seats',
        ),
    ],
)
def test_a_bad_map_is_refused_naming_the_first_problem_and_nothing_changes(venue, body, message):
    before = map_body(venue.theatre)
    with pytest.raises(Invalid) as error:
        put_map(venue.manager, venue.theatre, body)
    assert error.value.errors == {'seatmap': message}
    assert map_body(venue.theatre) == before
    assert capacity(venue.theatre) == HOUSE_SEATS
    assert len(events(AuditAction.SEATMAP_CHANGED)) == 1  # the fixture's map only


def test_a_map_of_exactly_100000_seats_is_read():
    body = _sections(*({'name': f'S{n}', 'rows': [_row(*range(2000), label=r) for r in 'AB']} for n in range(25)))
    assert layout.parse(body).on_sale == 100_000


def test_the_generator_numbers_rows_and_seats_with_aisles_and_centres_sections(database):
    assert layout.row_labels(28)[-4:] == ['Y', 'Z', 'AA', 'AB']
    body = layout.generate([('Stalls', 2, 6), ('Circle', 1, 3)], right_to_left=True, aisle_every=3)
    stalls, circle = body['sections']
    assert [row['label'] for row in stalls['rows']] == ['A', 'B']
    assert [(s['label'], s['x'], s['y']) for s in stalls['rows'][1]['seats']] == [
        ('6', 0, 1),
        ('5', 1, 1),
        ('4', 2, 1),
        ('3', 4, 1),  # one seat's width of aisle after every three seats
        ('2', 5, 1),
        ('1', 6, 1),
    ]
    assert [(s['label'], s['x'], s['y']) for s in circle['rows'][0]['seats']] == [
        ('3', 2.0, 4.0),  # centred on the widest section (7 wide), two rows' gap behind the stalls
        ('2', 3.0, 4.0),
        ('1', 4.0, 4.0),
    ]
    manager = make_user(role=Role.MANAGER)
    assert put_map(manager, make_theatre(manager), body).seats == 15


# --- how a show is sold ----------------------------------------------------------------------------------------


def test_a_reserved_show_sells_the_maps_seats_with_its_section_prices(venue):
    assert venue.show.seating == 'reserved'
    assert venue.show.num_tickets == HOUSE_SEATS
    assert venue.show.section_prices == {'Circle': 15000}
    assert create_reserved(venue.manager, venue.theatre, num_tickets='26').num_tickets == HOUSE_SEATS
    with session_scope() as s:
        view = seats.show_seats(s, show_id=venue.show.id)
    assert [(section.name, section.price_cents) for section in view.sections] == [('Stalls', 10000), ('Circle', 15000)]
    assert view.count('free') == HOUSE_SEATS


@pytest.mark.parametrize(
    'change, errors',
    [
        (
            {'num_tickets': '20'},
            {'num_tickets': 'A reserved show sells the seats of the map: 26 (leave the number out, or give that).'},
        ),
        (
            {'seating': 'standing', 'num_tickets': '26'},
            {'seating': 'Seating is "general" (a number of tickets) or "reserved" (the seat map).'},
        ),
        ({'section_prices': {'Balcony': '90'}}, {'section_prices': 'The seat map has no section "Balcony".'}),
        ({'section_prices': ['Circle', '90']}, {'section_prices': 'Section prices are {"section name": price}.'}),
    ],
)
def test_bad_seating_fields_are_refused_beside_their_field(venue, change, errors):
    fields = dict(
        name='Lear', rating='4', tags='', ticket_price='100', num_tickets=None, starts_at=utcnow() + LATER
    ) | {'seating': 'reserved'}
    with pytest.raises(Invalid) as error, session_scope() as s:
        shows.create_show(s, actor_id=venue.manager.id, theatre_id=venue.theatre.id, **(fields | change))
    assert error.value.errors == errors
    with session_scope() as s:
        assert s.scalar(select(func.count(Show.id))) == 1


def test_a_reserved_show_needs_a_seat_map(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    with pytest.raises(Invalid) as error:
        create_reserved(manager, theatre)
    message = 'This theatre has no seat map yet: draw one before selling reserved seats.'
    assert error.value.errors == {'seating': message}


def test_seating_keeps_when_left_out_and_switches_only_while_nothing_is_sold(venue):
    fields = dict(name='Hamlet', rating='4', tags='', ticket_price='100', starts_at=venue.show.starts_at)
    with session_scope() as s:
        kept = shows.update_show(s, actor_id=venue.manager.id, show_id=venue.show.id, num_tickets=None, **fields)
    assert (kept.seating, kept.section_prices, kept.num_tickets) == ('reserved', {'Circle': 15000}, HOUSE_SEATS)
    book_seats(venue.buyer, venue.show.id, ['Stalls A1'], venue.ids)
    with pytest.raises(Conflict) as error, session_scope() as s:
        shows.update_show(
            s, actor_id=venue.manager.id, show_id=venue.show.id, num_tickets='20', seating='general', **fields
        )
    assert error.value.message == 'Tickets of this show are sold or held: its seating can no longer change.'
    other = create_reserved(venue.manager, venue.theatre)
    with session_scope() as s:
        general = shows.update_show(
            s, actor_id=venue.manager.id, show_id=other.id, num_tickets='20', seating='general', **fields
        )
    assert (general.seating, general.num_tickets, general.section_prices) == ('general', 20, {})
    with pytest.raises(NotFound, match='general admission'), session_scope() as s:
        seats.show_seats(s, show_id=other.id)


# --- statuses, booking by seat, prices ----------------------------------------------------------------------


def test_statuses_show_free_held_sold_and_blocked_and_the_version_grows_with_each_change(venue):
    holder = make_user()
    versions = [version(venue.show.id)]
    book_seats(venue.buyer, venue.show.id, ['Stalls A1'], venue.ids)
    versions.append(version(venue.show.id))
    with session_scope() as s:
        holds.hold_seats(s, show_id=venue.show.id, user_id=holder.id, seats=[venue.ids['Stalls A2']])
    versions.append(version(venue.show.id))
    with session_scope() as s:
        show_config.set_house_seats(s, actor_id=venue.manager.id, show_id=venue.show.id, seats=[venue.ids['Stalls A3']])
    versions.append(version(venue.show.id))
    assert versions == sorted(set(versions))  # strictly growing
    seen = statuses(venue.show.id, viewer_id=holder.id)
    assert [seen[f'Stalls A{n}'] for n in range(1, 5)] == ['sold', 'held+mine', 'blocked', 'free']
    assert statuses(venue.show.id)['Stalls A2'] == 'held'  # not marked as anyone's for others
    assert list(seen.values()).count('free') == HOUSE_SEATS - 3


def test_booking_chosen_seats_issues_a_ticket_per_seat_at_its_sections_price(venue):
    made = book_seats(venue.buyer, venue.show.id, ['Circle A2', 'Stalls B3', 'Stalls B4'], venue.ids)
    assert made.booked_tickets == 3
    assert sorted((t.seat, t.seat_id, t.price_cents) for t in made.tickets) == [
        ('Circle A2', venue.ids['Circle A2'], 15000),
        ('Stalls B3', venue.ids['Stalls B3'], 10000),
        ('Stalls B4', venue.ids['Stalls B4'], 10000),
    ]
    assert made.total_cents == 35000
    assert made.price_cents == 10000  # the lowest ticket price of the booking
    assert sorted(made.seats) == ['Circle A2', 'Stalls B3', 'Stalls B4']
    assert tickets_sold(venue.show.id) == 3
    assert statuses(venue.show.id)['Circle A2'] == 'sold'


def test_seats_already_taken_refuse_the_whole_booking_naming_them(venue):
    other = make_user()
    book_seats(other, venue.show.id, ['Stalls A3', 'Stalls A4'], venue.ids)
    with pytest.raises(SeatsTaken) as error:
        book_seats(venue.buyer, venue.show.id, ['Stalls A2', 'Stalls A3', 'Stalls A4'], venue.ids)
    assert error.value.extra == {'seats': sorted([venue.ids['Stalls A3'], venue.ids['Stalls A4']])}
    assert error.value.message == (
        'These seats are no longer free: Stalls A3, Stalls A4. Nothing was booked or held; please choose again.'
    )
    assert error.value.field == 'seats'
    assert statuses(venue.show.id)['Stalls A2'] == 'free'
    assert tickets_sold(venue.show.id) == 2
    with session_scope() as s:
        assert s.scalar(select(func.count(Ticket.id)).where(Ticket.show_id == venue.show.id)) == 2


def _eleven_seats(venue: Venue) -> tuple[list[int], str]:
    return list(venue.ids.values())[:11], 'At most 10 seats at a time.'


def _twice(venue: Venue) -> tuple[list[int], str]:
    return [venue.ids['Stalls A1'], venue.ids['Stalls A1']], 'A seat is listed twice.'


def _blocked_seat(venue: Venue) -> tuple[list[int], str]:
    body = layout.generate([('Stalls', 4, 6), ('Circle', 2, 4)])
    body['sections'][0]['rows'][3]['seats'][0]['kind'] = 'blocked'
    put_map(venue.manager, venue.theatre, body)
    return [seat_ids(venue.theatre)['Stalls D1']], 'Not for sale: Stalls D1.'


def _another_theatres_seat(venue: Venue) -> tuple[list[int], str]:
    manager = make_user(role=Role.MANAGER)
    elsewhere = make_theatre(manager)
    put_map(manager, elsewhere, HOUSE)
    foreign = seat_ids(elsewhere)['Stalls A1']
    return [foreign], f'No such seat at this show: {foreign}.'


@pytest.mark.parametrize(
    'choose',
    [
        pytest.param(lambda venue: ([], 'Choose 1 to 10 seats.'), id='none'),
        pytest.param(lambda venue: ('Stalls A1', 'Choose 1 to 10 seats.'), id='not-a-list'),
        pytest.param(lambda venue: ([True], 'Choose 1 to 10 seats.'), id='not-ids'),
        pytest.param(_eleven_seats, id='eleven'),
        pytest.param(_twice, id='twice'),
        pytest.param(lambda venue: ([2**31 - 1], 'No such seat at this show: 2147483647.'), id='unknown'),
        pytest.param(_blocked_seat, id='blocked'),
        pytest.param(_another_theatres_seat, id='another-theatre'),
    ],
)
def test_bad_seat_choices_are_invalid_and_book_nothing(venue, choose):
    choice, message = choose(venue)
    with pytest.raises(Invalid) as error, session_scope() as s:
        booking.book(s, show_id=venue.show.id, user_id=venue.buyer.id, seats=choice)
    assert error.value.errors == {'seats': message}
    assert tickets_sold(venue.show.id) == 0


def test_seats_cannot_be_chosen_for_a_general_admission_show(venue):
    general = make_show(venue.theatre, num_tickets=5)
    with pytest.raises(Invalid) as error, session_scope() as s:
        booking.book(s, show_id=general.id, user_id=venue.buyer.id, seats=[venue.ids['Stalls A1']])
    assert error.value.errors == {'seats': 'This show has no reserved seats: ask for a number of tickets instead.'}


def test_cancelling_frees_the_seats_for_the_next_buyer(venue):
    made = book_seats(venue.buyer, venue.show.id, ['Stalls A1', 'Circle A1'], venue.ids)
    seen = version(venue.show.id)
    with session_scope() as s:
        cancelled = booking.cancel_booking(s, booking_id=made.id, user_id=venue.buyer.id)
    assert {t.status for t in cancelled.tickets} == {TicketStatus.CANCELLED}
    assert sorted(cancelled.seats) == ['Circle A1', 'Stalls A1']  # the cancelled tickets still say which seats
    assert version(venue.show.id) > seen
    assert set(statuses(venue.show.id).values()) == {'free'}
    assert tickets_sold(venue.show.id) == 0
    again = book_seats(make_user(), venue.show.id, ['Stalls A1', 'Circle A1'], venue.ids)
    assert sorted(again.seats) == ['Circle A1', 'Stalls A1']


# --- best block ---------------------------------------------------------------------------------------------


def test_a_number_of_tickets_gets_the_best_seats_together_nearest_the_stage_centre(venue):
    first = book_best(venue.buyer, venue.show.id, 4)
    assert sorted(first.seats) == ['Stalls A2', 'Stalls A3', 'Stalls A4', 'Stalls A5']
    assert all(t.seat_id is not None for t in first.tickets)
    second = book_best(venue.buyer, venue.show.id, 2)  # row A has two single seats left: the next row's centre
    assert sorted(second.seats) == ['Stalls B3', 'Stalls B4']
    third = book_best(venue.buyer, venue.show.id, 4)  # B has 2 + 2 either side: row C
    assert sorted(third.seats) == ['Stalls C2', 'Stalls C3', 'Stalls C4', 'Stalls C5']
    fourth = book_best(venue.buyer, venue.show.id, 2)  # equally near: the first found, on the left of row B
    assert sorted(fourth.seats) == ['Stalls B1', 'Stalls B2']
    assert tickets_sold(venue.show.id) == 12


def test_best_seats_never_span_an_aisle_or_a_blocked_seat(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    body = layout.generate([('Stalls', 2, 6)], aisle_every=3)  # row A: 3 | 3
    body['sections'][0]['rows'][1]['seats'][4]['kind'] = 'blocked'  # row B: 3 | 1 x 1; the stage's centre is x 3
    put_map(manager, theatre, body)
    show = create_reserved(manager, theatre)
    buyer = make_user()
    with pytest.raises(Conflict) as error:
        book_best(buyer, show.id, 4)
    assert error.value.message == 'No row has 4 free seats next to each other; choose seats on the map instead.'
    assert error.value.field == 'tickets'
    assert tickets_sold(show.id) == 0
    assert sorted(book_best(buyer, show.id, 3).seats) == ['Stalls A1', 'Stalls A2', 'Stalls A3']
    assert sorted(book_best(buyer, show.id, 3).seats) == ['Stalls A4', 'Stalls A5', 'Stalls A6']
    assert sorted(book_best(buyer, show.id, 2).seats) == ['Stalls B2', 'Stalls B3']  # nearer the centre than B1–B2
    with pytest.raises(Conflict, match='No row has 2 free seats'):  # B1, B4 and B6 are single seats
        book_best(buyer, show.id, 2)
    assert tickets_sold(show.id) == 8


# --- house seats --------------------------------------------------------------------------------------------


def test_house_seats_are_kept_back_from_sale_and_shrink_the_show(venue):
    kept = [venue.ids['Stalls A3'], venue.ids['Stalls A4']]
    with session_scope() as s:
        assert show_config.set_house_seats(s, actor_id=venue.manager.id, show_id=venue.show.id, seats=kept) == sorted(
            kept
        )
    assert num_tickets(venue.show.id) == HOUSE_SEATS - 2
    assert statuses(venue.show.id)['Stalls A3'] == 'blocked'
    with pytest.raises(SeatsTaken, match='Stalls A3'):
        book_seats(venue.buyer, venue.show.id, ['Stalls A3'], venue.ids)
    assert sorted(book_best(venue.buyer, venue.show.id, 2).seats) == ['Stalls A1', 'Stalls A2']  # beside them
    with session_scope() as s:
        assert show_config.set_house_seats(s, actor_id=venue.manager.id, show_id=venue.show.id, seats=[]) == []
    assert num_tickets(venue.show.id) == HOUSE_SEATS
    assert statuses(venue.show.id)['Stalls A3'] == 'free'
    trail = events(AuditAction.HOUSE_SEATS_CHANGED)
    assert [(e.actor_id, e.show_id, e.changes) for e in trail] == [
        (venue.manager.id, venue.show.id, {'house_seats': [0, 2]}),
        (venue.manager.id, venue.show.id, {'house_seats': [2, 0]}),
    ]


def test_a_sold_seat_cannot_be_kept_back_and_the_house_seats_stay_as_they_were(venue):
    with session_scope() as s:
        show_config.set_house_seats(s, actor_id=venue.manager.id, show_id=venue.show.id, seats=[venue.ids['Circle B4']])
    book_seats(venue.buyer, venue.show.id, ['Stalls A1'], venue.ids)
    with pytest.raises(SeatsTaken) as error, session_scope() as s:
        show_config.set_house_seats(
            s, actor_id=venue.manager.id, show_id=venue.show.id, seats=[venue.ids['Stalls A1'], venue.ids['Stalls A2']]
        )
    assert error.value.extra == {'seats': [venue.ids['Stalls A1']]}
    seen = statuses(venue.show.id)
    assert (seen['Circle B4'], seen['Stalls A1'], seen['Stalls A2']) == ('blocked', 'sold', 'free')
    assert num_tickets(venue.show.id) == HOUSE_SEATS - 1
    assert len(events(AuditAction.HOUSE_SEATS_CHANGED)) == 1


def test_house_seats_are_for_the_theatres_manager_of_a_reserved_show_only(venue):
    other = make_user(role=Role.MANAGER)
    with pytest.raises(NotFound, match='No such show'), session_scope() as s:
        show_config.set_house_seats(s, actor_id=other.id, show_id=venue.show.id, seats=[venue.ids['Stalls A1']])
    general = make_show(venue.theatre, num_tickets=5)
    with pytest.raises(NotFound, match='general admission'), session_scope() as s:
        show_config.set_house_seats(s, actor_id=venue.manager.id, show_id=general.id, seats=[venue.ids['Stalls A1']])
    assert num_tickets(venue.show.id) == HOUSE_SEATS
