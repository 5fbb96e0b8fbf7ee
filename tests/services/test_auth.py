import pytest
from sqlalchemy import func, select

from models import Role, User
from models.db import session_scope
from services import auth
from services.errors import Conflict, Invalid, Unauthenticated

GOOD = dict(
    username='Asha_1',
    name='Asha Rao',
    email='asha@example.com',
    password='s3cret-pass',
    password_confirm='s3cret-pass',
    role='user',
)


def _users() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(User.id)))


def test_signup_stores_a_bcrypt_hash_and_a_lowercase_username(database):
    with session_scope() as s:
        user = auth.signup(s, **GOOD)
    assert user.username == 'asha_1' and user.role is Role.USER
    assert user.password_hash.startswith('$2') and 's3cret-pass' not in user.password_hash


def test_usernames_are_case_insensitive_and_taken_ones_are_refused(database):
    with session_scope() as s:
        auth.signup(s, **GOOD)
    with pytest.raises(Conflict, match='taken') as error, session_scope() as s:
        auth.signup(s, **{**GOOD, 'username': 'ASHA_1'})
    assert error.value.field == 'username' and _users() == 1


@pytest.mark.parametrize(
    'field, value, message',
    [
        ('username', '', 'Username is required.'),
        ('username', 'ab', 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ('username', 'a' * 33, 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ('username', 'bad name', 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ('username', '<script>', 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ('name', '   ', 'Full name is required.'),
        ('name', 'x' * 101, 'Full name must be at most 100 characters.'),
        ('name', '<script>alert(1)</script>', 'Full name must not contain < or >.'),
        ('name', 'tab\there', 'Full name must not contain control characters.'),
        ('name', 42, 'Full name must be text.'),
        ('email', 'not-an-email', 'Enter an email address like name@example.com.'),
        ('email', '', 'Email is required.'),
        ('email', 'a@b.c' + 'x' * 250, 'Enter an email address like name@example.com.'),
        ('password', 'short', 'Password must be 8–128 characters.'),
        ('password', 'x' * 129, 'Password must be 8–128 characters.'),
        ('password', '', 'Password is required.'),
        ('password_confirm', 'different-pass', 'The two passwords differ.'),
        ('role', 'admin', 'Choose audience member or theatre manager.'),
    ],
)
def test_bad_signup_input_is_refused_beside_its_field(database, field, value, message):
    values = {**GOOD, field: value}
    if field == 'password':
        values['password_confirm'] = value
    with pytest.raises(Invalid) as error, session_scope() as s:
        auth.signup(s, **values)
    assert error.value.errors[field] == message
    assert _users() == 0


def test_long_passwords_count_whole(database):
    long_password = 'a' * 100
    with session_scope() as s:
        auth.signup(s, **{**GOOD, 'password': long_password, 'password_confirm': long_password})
    with pytest.raises(Unauthenticated), session_scope() as s:
        auth.authenticate(s, username='asha_1', password='a' * 99 + 'b')  # differs after byte 72
    with session_scope() as s:
        assert auth.authenticate(s, username='asha_1', password=long_password).username == 'asha_1'


@pytest.mark.parametrize(
    'username, password',
    [
        ('asha_1', 'wrong-password'),
        ('nobody', 's3cret-pass'),
        ('', ''),
        ('asha_1', None),
        ('asha_1', 'x' * 500),
    ],
)
def test_failed_logins_get_one_neutral_message(database, username, password):
    with session_scope() as s:
        auth.signup(s, **GOOD)
    with pytest.raises(Unauthenticated) as error, session_scope() as s:
        auth.authenticate(s, username=username, password=password)
    assert error.value.message == 'Wrong username or password.'


def test_login_accepts_any_case_and_records_last_seen(database):
    with session_scope() as s:
        auth.signup(s, **GOOD)
    with session_scope() as s:
        user = auth.authenticate(s, username=' ASHA_1 ', password='s3cret-pass')
    assert user.last_seen_at is not None


def test_disabled_account_cannot_log_in(database):
    with session_scope() as s:
        auth.signup(s, **GOOD)
    with session_scope() as s:
        s.scalars(select(User)).one().is_active = False
    with pytest.raises(Unauthenticated), session_scope() as s:
        auth.authenticate(s, username='asha_1', password='s3cret-pass')


def test_create_admin(database):
    with session_scope() as s:
        admin = auth.create_admin(s, username='root', name='Root', email='root@example.com', password='admin-pass-1')
    assert admin.role is Role.ADMIN
