"""The seat-map editor's operations (issue 15): pure functions on a map body, each returning a new body that
layout.parse still reads, the input left as it was (the editor keeps old bodies for undo and redo)."""

import copy
import json

import pytest

from models import Role
from models.db import session_scope
from services.errors import Invalid
from services.seating import edit, layout, maps
from tests.factories import make_theatre, make_user
from tests.services.test_seating import HOUSE, put_map

# Stalls: rows A–C of 6 seats at x 0–5, y 0–2; Circle: rows A–B of 4 seats at x 1–4, y 5–6; stage at (2.5, -2).
BODY = edit.normalise(HOUSE)


def rows(body: dict, section: str) -> dict[str, list[str]]:
    """Row label → seat labels, for one section."""
    for s in body['sections']:
        if s['name'] == section:
            return {row['label']: [seat['label'] for seat in row['seats']] for row in s['rows']}
    raise AssertionError(f'no section {section}')


def seat(body: dict, key: tuple[str, str, str]) -> dict:
    for s in body['sections']:
        for row in s['rows']:
            for one in row['seats']:
                if (s['name'], row['label'], one['label']) == key:
                    return one
    raise AssertionError(f'no seat {key}')


def invalid(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        call(*args, **kwargs)
    return caught.value.errors


# --- normalise ------------------------------------------------------------------------------------------------


def test_normalise_places_bare_labels_as_parse_does_and_fills_in_the_stage():
    body = {
        'sections': [
            {'name': ' Stalls ', 'rows': [{'label': 'A', 'seats': ['1', 2, {'label': '3', 'kind': 'wheelchair'}]}]},
            {'name': 'Box', 'rows': [{'label': 1, 'seats': [{'label': '1', 'x': 10, 'y': 7}]}]},
        ]
    }
    before = copy.deepcopy(body)
    new = edit.normalise(body)
    assert body == before
    assert new == {
        'sections': [
            {
                'name': 'Stalls',
                'rows': [
                    {
                        'label': 'A',
                        'seats': [
                            {'label': '1', 'kind': 'standard', 'x': 0.0, 'y': 0.0},
                            {'label': '2', 'kind': 'standard', 'x': 1.0, 'y': 0.0},
                            {'label': '3', 'kind': 'wheelchair', 'x': 2.0, 'y': 0.0},
                        ],
                    }
                ],
            },
            {
                'name': 'Box',
                'rows': [{'label': '1', 'seats': [{'label': '1', 'kind': 'standard', 'x': 10.0, 'y': 7.0}]}],
            },
        ],
        'stage': {'x': 5.0, 'y': -2.0, 'width': 6.6},
    }
    assert edit.normalise(new) == new
    assert edit.keys(new) == [('Stalls', 'A', '1'), ('Stalls', 'A', '2'), ('Stalls', 'A', '3'), ('Box', '1', '1')]


def test_normalise_drops_an_exports_ids_and_seat_count_and_keeps_a_placed_stage():
    exported = copy.deepcopy(BODY)
    exported['seats'] = 26
    exported['stage'] = {'x': 1, 'y': -5, 'width': 4}
    for number, (_, one) in enumerate(edit._seats(exported)):
        one['id'] = number + 1
    new = edit.normalise(exported)
    assert 'seats' not in new
    assert all(set(one) == {'label', 'kind', 'x', 'y'} for _, one in edit._seats(new))
    assert new['stage'] == {'x': 1.0, 'y': -5.0, 'width': 4.0}


@pytest.mark.parametrize(
    ('body', 'message'),
    [
        ([], 'A seat map is an object with "sections".'),
        ({'sections': []}, 'The map: Sections must not be empty.'),
        ({'sections': [{'name': 'S', 'rows': [{'label': 'A', 'seats': ['1', '1']}]}]}, 'Section "S", row A, seat 1: '),
    ],
)
def test_normalise_refuses_a_bad_body_as_parse_does(body, message):
    assert invalid(edit.normalise, body)['seatmap'].startswith(message)


# --- finding seats --------------------------------------------------------------------------------------------


def test_keys_seat_at_and_in_rect_find_seats_by_their_centres():
    assert len(edit.keys(BODY)) == 26
    assert edit.keys(BODY)[:2] == [('Stalls', 'A', '1'), ('Stalls', 'A', '2')]
    assert edit.keys(BODY)[-1] == ('Circle', 'B', '4')
    assert edit.seat_at(BODY, 2.2, 1.1) == ('Stalls', 'B', '3')
    assert edit.seat_at(BODY, 2.5, 1.0) == ('Stalls', 'B', '3')  # halfway between B3 and B4: the first in map order
    assert edit.seat_at(BODY, 2.5, 3.5) is None  # the gap between the sections
    assert edit.seat_at(BODY, 2.5, 3.5, radius=2) == ('Stalls', 'C', '3')
    assert edit.seat_at(BODY, 0.4, 0.4) is None  # 0.57 from A1's centre
    corners = [('Stalls', 'B', '5'), ('Stalls', 'B', '6'), ('Stalls', 'C', '5'), ('Stalls', 'C', '6')]
    assert edit.in_rect(BODY, 4, 1, 5, 2) == corners  # edges included
    assert edit.in_rect(BODY, 5.9, 2.4, 3.6, 0.6) == corners  # corners in any order
    assert edit.in_rect(BODY, 0.1, 0.1, 0.9, 0.9) == []
    assert edit.in_rect(BODY, 3.5, 4, 4.5, 99) == [('Circle', 'A', '4'), ('Circle', 'B', '4')]


# --- changing seats -------------------------------------------------------------------------------------------


def test_set_kind_changes_only_the_chosen_seats_and_ignores_keys_not_on_the_map():
    new = edit.set_kind(BODY, [('Stalls', 'A', '1'), ('Circle', 'B', '4'), ('Nowhere', 'A', '1')], 'wheelchair')
    assert seat(new, ('Stalls', 'A', '1'))['kind'] == 'wheelchair'
    assert seat(new, ('Circle', 'B', '4'))['kind'] == 'wheelchair'
    assert sum(one['kind'] == 'wheelchair' for _, one in edit._seats(new)) == 2
    blocked = edit.set_kind(new, edit.in_rect(new, 0, 0, 5, 0), 'blocked')
    assert layout.parse(blocked).on_sale == 20
    assert seat(edit.set_kind(blocked, [('Stalls', 'A', '1')], 'standard'), ('Stalls', 'A', '1'))['kind'] == 'standard'


def test_set_kind_refuses_an_unknown_kind_and_a_map_with_no_seat_for_sale():
    assert invalid(edit.set_kind, BODY, [('Stalls', 'A', '1')], 'vip') == {
        'kind': 'A seat\'s kind is "standard", "wheelchair" or "blocked".'
    }
    assert invalid(edit.set_kind, BODY, edit.keys(BODY), 'blocked') == {
        'seatmap': 'At least one seat must be for sale (not blocked).'
    }


def test_delete_seats_drops_rows_and_sections_left_empty():
    stalls_a = [key for key in edit.keys(BODY) if key[:2] == ('Stalls', 'A')]
    circle = [key for key in edit.keys(BODY) if key[0] == 'Circle']
    new = edit.delete_seats(BODY, [*stalls_a, ('Stalls', 'B', '2'), *circle])
    assert [s['name'] for s in new['sections']] == ['Stalls']
    assert rows(new, 'Stalls') == {'B': ['1', '3', '4', '5', '6'], 'C': ['1', '2', '3', '4', '5', '6']}
    assert seat(new, ('Stalls', 'B', '3')) == {'label': '3', 'kind': 'standard', 'x': 2.0, 'y': 1.0}  # not moved
    assert layout.parse(new).on_sale == 11


def test_deleting_every_seat_leaves_an_empty_map_that_parse_names_and_blocked_seats_alone_are_refused():
    empty = edit.delete_seats(BODY, edit.keys(BODY))
    assert empty == {'sections': [], 'stage': BODY['stage']}
    assert invalid(layout.parse, empty) == {'seatmap': 'The map: Sections must not be empty.'}
    assert edit.keys(empty) == [] and edit.bounds(empty) == pytest.approx((0.7, -2.0, 4.3, -2.0))  # the stage's
    blocked = edit.set_kind(BODY, [('Stalls', 'A', '1')], 'blocked')
    assert invalid(edit.delete_seats, blocked, edit.keys(blocked)[1:]) == {
        'seatmap': 'At least one seat must be for sale (not blocked).'
    }


# --- rows and sections ----------------------------------------------------------------------------------------


def test_rename_row_and_section():
    new = edit.rename_row(BODY, 'Stalls', 'B', '  BB ')
    assert list(rows(new, 'Stalls')) == ['A', 'BB', 'C']
    assert seat(new, ('Stalls', 'BB', '1')) == seat(BODY, ('Stalls', 'B', '1'))
    assert edit.rename_row(BODY, 'Stalls', 'B', 'B') == BODY
    assert list(rows(edit.rename_row(BODY, 'Circle', 'A', 'C'), 'Circle')) == ['C', 'B']  # C is a Stalls row only
    renamed = edit.rename_section(BODY, 'Circle', 'Grand Circle – Ä')
    assert [s['name'] for s in renamed['sections']] == ['Stalls', 'Grand Circle – Ä']
    assert edit.keys(renamed)[-1] == ('Grand Circle – Ä', 'B', '4')
    layout.parse(renamed)


@pytest.mark.parametrize(
    ('label', 'message'),
    [
        ('', 'A row label is required.'),
        ('   ', 'A row label is required.'),
        ('ABCDEFGHIJK', 'A row label "ABCDEFGHIJ…" is longer than 10 characters.'),
        ('<b>', 'A row label must not contain < or > or control characters.'),
        ('A\x00', 'A row label must not contain < or > or control characters.'),
        ('C', 'Section "Stalls" already has a row C.'),
        (' C ', 'Section "Stalls" already has a row C.'),
    ],
)
def test_a_bad_row_label_is_refused(label, message):
    assert invalid(edit.rename_row, BODY, 'Stalls', 'B', label) == {'row': message}
    assert invalid(edit.add_row, BODY, 'Stalls', label=label) == {'row': message}


@pytest.mark.parametrize(
    ('name', 'message'),
    [
        ('', 'A section name is required.'),
        ('x' * 41, f'A section name "{"x" * 40}…" is longer than 40 characters.'),
        ('Box <1>', 'A section name must not contain < or > or control characters.'),
        ('Stalls', 'There is already a section "Stalls".'),
    ],
)
def test_a_bad_section_name_is_refused(name, message):
    assert invalid(edit.rename_section, BODY, 'Circle', name) == {'section': message}


def test_a_row_or_section_not_on_the_map_is_named():
    assert invalid(edit.rename_row, BODY, 'Stalls', 'Q', 'R') == {'row': 'Section "Stalls" has no row Q.'}
    assert invalid(edit.rename_section, BODY, 'Gallery', 'G') == {
        'section': 'There is no section "Gallery" on the map.'
    }
    assert invalid(edit.add_row, BODY, 'Gallery') == {'section': 'There is no section "Gallery" on the map.'}


def test_add_row_goes_below_the_last_row_at_its_positions_and_the_next_label():
    new = edit.add_row(BODY, 'Circle')
    assert rows(new, 'Circle') == {'A': ['1', '2', '3', '4'], 'B': ['1', '2', '3', '4'], 'C': ['1', '2', '3', '4']}
    assert [(one['x'], one['y'], one['kind']) for one in new['sections'][1]['rows'][-1]['seats']] == [
        (1.0, 7.0, 'standard'),
        (2.0, 7.0, 'standard'),
        (3.0, 7.0, 'standard'),
        (4.0, 7.0, 'standard'),
    ]
    stalls = edit.add_row(BODY, 'Stalls', seats=3, label='Extra')
    assert rows(stalls, 'Stalls')['Extra'] == ['1', '2', '3']
    assert [(one['x'], one['y']) for one in stalls['sections'][0]['rows'][-1]['seats']] == [(0, 3), (1, 3), (2, 3)]
    assert stalls['sections'][1] == BODY['sections'][1]  # the Circle behind does not move
    assert layout.parse(stalls).on_sale == 29


@pytest.mark.parametrize(
    ('last', 'expected'),
    [('Y', 'Z'), ('Z', 'AA'), ('AZ', 'BA'), ('ZZ', 'AAA'), ('c', 'd'), ('9', '10'), ('R09', 'R10')],
)
def test_the_new_rows_label_follows_the_last_rows(last, expected):
    body = edit.rename_row(BODY, 'Stalls', 'C', last)
    assert list(rows(edit.add_row(body, 'Stalls'), 'Stalls'))[-1] == expected


def test_add_row_skips_labels_taken_numbers_like_the_last_row_and_checks_its_size():
    body = edit.rename_row(BODY, 'Stalls', 'A', 'D')  # rows D, B, C: after C comes D, taken, so E
    assert list(rows(edit.add_row(body, 'Stalls'), 'Stalls')) == ['D', 'B', 'C', 'E']
    assert edit.next_label('BOX09') == 'BOX10' and edit.next_label('Box') is None
    no_rule = edit.rename_row(BODY, 'Stalls', 'C', 'Box')
    assert invalid(edit.add_row, no_rule, 'Stalls') == {'row': 'Give the new row a label.'}
    right_to_left = edit.normalise(layout.generate([('Stalls', 1, 4)], right_to_left=True))
    added = edit.add_row(right_to_left, 'Stalls')
    assert [(one['label'], one['x']) for one in added['sections'][0]['rows'][1]['seats']] == [
        ('4', 0.0),
        ('3', 1.0),
        ('2', 2.0),
        ('1', 3.0),
    ]
    for seats in (0, -1, 2001, True, 2.5):
        assert invalid(edit.add_row, BODY, 'Stalls', seats=seats) == {'seats': 'A row has 1 to 2,000 seats.'}


def test_renumber_row_labels_the_seats_in_x_order():
    body = edit.delete_seats(BODY, [('Stalls', 'A', '2')])
    new = edit.renumber_row(body, 'Stalls', 'A', right_to_left=False)
    assert [(one['label'], one['x']) for one in new['sections'][0]['rows'][0]['seats']] == [
        ('1', 0.0),
        ('2', 2.0),
        ('3', 3.0),
        ('4', 4.0),
        ('5', 5.0),
    ]
    back = edit.renumber_row(new, 'Stalls', 'A', right_to_left=True)
    assert rows(back, 'Stalls')['A'] == ['5', '4', '3', '2', '1']
    assert [one['x'] for one in back['sections'][0]['rows'][0]['seats']] == [0.0, 2.0, 3.0, 4.0, 5.0]
    layout.parse(back)


# --- moving things --------------------------------------------------------------------------------------------


def test_move_section_shifts_only_its_seats_and_not_off_the_map():
    new = edit.move_section(BODY, 'Circle', 10, -0.5)
    assert seat(new, ('Circle', 'A', '1')) == {'label': '1', 'kind': 'standard', 'x': 11.0, 'y': 4.5}
    assert new['sections'][0] == BODY['sections'][0] and new['stage'] == BODY['stage']
    assert edit.bounds(new) == (0.0, -2.0, 14.0, 5.5)
    message = 'Section "Circle" would be moved off the map (positions stay within ±10,000).'
    assert invalid(edit.move_section, BODY, 'Circle', 0, 9_999) == {'section': message}
    assert invalid(edit.move_section, BODY, 'Circle', float('nan'), 0) == {'section': message}


def test_set_stage_moves_it_keeping_its_width_unless_given():
    new = edit.set_stage(BODY, 3, -4)
    assert new['stage'] == {'x': 3.0, 'y': -4.0, 'width': BODY['stage']['width']}
    assert edit.set_stage(new, 0, 10, 8)['stage'] == {'x': 0.0, 'y': 10.0, 'width': 8.0}
    assert edit.bounds(edit.set_stage(BODY, 2.5, 9, 20)) == (-7.5, 0.0, 12.5, 9.0)
    assert invalid(edit.set_stage, BODY, 1, 1, 0) == {'stage': 'The stage: width must be more than 0.'}
    assert invalid(edit.set_stage, BODY, float('inf'), 1) == {'stage': 'The stage: x must be a number.'}
    assert invalid(edit.set_stage, BODY, 1, 20_000) == {'stage': 'The stage: y must be between -10,000 and 10,000.'}


def test_bounds_cover_the_seats_and_the_stage():
    assert edit.bounds(BODY) == (0.0, -2.0, 5.0, 6.0)
    stage = BODY['stage']
    assert stage['x'] - stage['width'] / 2 > 0  # the stage's ends lie within the seats' here


# --- every operation ------------------------------------------------------------------------------------------

OPERATIONS = [
    pytest.param(lambda b: edit.set_kind(b, [('Stalls', 'A', '1')], 'blocked'), id='set_kind'),
    pytest.param(lambda b: edit.delete_seats(b, [('Stalls', 'A', '1')]), id='delete_seats'),
    pytest.param(lambda b: edit.rename_row(b, 'Stalls', 'A', 'AA'), id='rename_row'),
    pytest.param(lambda b: edit.rename_section(b, 'Stalls', 'Pit'), id='rename_section'),
    pytest.param(lambda b: edit.add_row(b, 'Stalls'), id='add_row'),
    pytest.param(lambda b: edit.move_section(b, 'Stalls', 1, 1), id='move_section'),
    pytest.param(lambda b: edit.set_stage(b, 1, 1, 2), id='set_stage'),
    pytest.param(lambda b: edit.renumber_row(b, 'Stalls', 'A', right_to_left=True), id='renumber_row'),
]


@pytest.mark.parametrize('operation', OPERATIONS)
def test_every_operation_returns_a_new_body_that_parse_reads_and_leaves_its_input_alone(operation):
    body = copy.deepcopy(BODY)
    new = operation(body)
    assert body == BODY
    assert new != body
    layout.parse(new)
    inner = {id(one) for _, one in edit._seats(body)} | {id(s) for s in body['sections']} | {id(body['stage'])}
    assert not inner & ({id(one) for _, one in edit._seats(new)} | {id(s) for s in new['sections']})
    assert id(new['stage']) not in inner
    new['sections'][0]['rows'][0]['seats'][0]['x'] = 99  # the editor may change what it got
    assert body == BODY


@pytest.mark.parametrize('operation', OPERATIONS)
def test_every_operation_takes_a_generated_map_without_a_stage(operation):
    generated = layout.generate([('Stalls', 3, 6), ('Circle', 2, 4)])
    assert 'stage' not in generated
    assert operation(generated) == operation(BODY)


# --- undo and redo --------------------------------------------------------------------------------------------


def test_history_undoes_and_redoes_and_a_new_change_drops_what_could_be_redone():
    history = edit.History(BODY)
    assert history.current is BODY and not history.can_undo and not history.can_redo
    assert history.undo() is BODY and history.redo() is BODY
    one = edit.add_row(BODY, 'Stalls')
    two = edit.add_row(one, 'Stalls')
    history.push(one)
    history.push(two)
    assert history.current is two and history.can_undo and not history.can_redo
    assert history.undo() is one
    assert history.undo() is BODY and not history.can_undo and history.can_redo
    assert history.redo() is one and history.can_redo
    other = edit.move_section(one, 'Circle', 1, 0)
    history.push(other)
    assert history.current is other and not history.can_redo
    assert history.undo() is one and history.redo() is other


def test_history_keeps_the_last_hundred_states():
    history = edit.History({'n': 0})
    for n in range(1, 150):
        history.push({'n': n})
    undone = 0
    while history.can_undo:
        history.undo()
        undone += 1
    assert undone == 99 and history.current == {'n': 50}
    assert history.redo() == {'n': 51}


# --- JSON -----------------------------------------------------------------------------------------------------


def test_json_round_trip_keeps_the_map_and_writes_text_as_it_is():
    body = edit.rename_section(BODY, 'Circle', 'Rang Ä')
    text = edit.to_json(body)
    assert '"Rang Ä"' in text and '\\u' not in text
    assert '{"label": "1", "kind": "standard", "x": 0.0, "y": 0.0}' in text  # a seat to a line
    assert json.loads(text) == body
    assert edit.from_json(text) == body
    assert edit.from_json(json.dumps({'sections': [{'name': 'S', 'rows': [{'label': 'A', 'seats': ['1']}]}]})) == {
        'sections': [
            {'name': 'S', 'rows': [{'label': 'A', 'seats': [{'label': '1', 'kind': 'standard', 'x': 0.0, 'y': 0.0}]}]}
        ],
        'stage': {'x': 0.0, 'y': -2.0, 'width': 3.0},
    }


def test_from_json_names_what_is_wrong():
    assert invalid(edit.from_json, '{"sections": [') == {
        'seatmap': 'This is not valid JSON: Expecting value (line 1, column 15).'
    }
    assert invalid(edit.from_json, '') == {'seatmap': 'This is not valid JSON: Expecting value (line 1, column 1).'}
    assert invalid(edit.from_json, '[' * 100_000)['seatmap'].startswith('This is not valid JSON')
    assert invalid(edit.from_json, '{"sections": [{"name": "S", "rows": []}]}') == {
        'seatmap': 'Section "S": Rows must not be empty.'
    }
    bad_x = '{"sections": [{"name": "S", "rows": [{"label": "A", "seats": [{"label": "1", "x": NaN}]}]}]}'
    assert invalid(edit.from_json, bad_x) == {'seatmap': 'Section "S", row A, seat 1: x must be a number.'}


def test_an_edited_map_saved_and_loaded_back_is_the_same_map(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    body = edit.set_kind(BODY, [('Stalls', 'A', '3'), ('Stalls', 'A', '4')], 'wheelchair')
    body = edit.set_kind(body, [('Circle', 'A', '1')], 'blocked')
    body = edit.add_row(body, 'Circle', seats=2, label='Z')
    body = edit.delete_seats(body, [('Stalls', 'C', '6')])
    body = edit.move_section(edit.set_stage(body, 2.5, -3.5, 4.25), 'Circle', 0.5, 1)
    view = put_map(manager, theatre, edit.from_json(edit.to_json(body)))
    assert view.seats == 26 - 1 - 1 + 2
    with session_scope() as s:
        loaded = maps.load_map(s, theatre.id)
        assert loaded is not None
        again = loaded.as_body()
    assert again['seats'] == 26
    assert edit.normalise(again) == body
    assert edit.from_json(edit.to_json(again)) == body
