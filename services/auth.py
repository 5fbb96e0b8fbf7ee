"""Accounts: sign-up, password checks, admins. Passwords are kept only as bcrypt hashes."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import PasswordReset, Role, User
from models.db import utcnow
from services import sessions
from services.errors import Conflict, NotAllowed, Unauthenticated
from services.passwords import dummy_hash, hash_password, verify_password
from services.throttle import throttle
from services.validation import Checker, FormText

USERNAME_PATTERN = re.compile(r'[A-Za-z0-9_.-]{3,32}')
DELETED_PREFIX = 'deleted-'  # a deleted account's username is this and its id (services.accounts)
SIGNUP_ROLES = (Role.USER, Role.MANAGER)
WRONG_CREDENTIALS = 'Wrong username or password.'
PASSWORD_CHANGE_TRIES = 5  # password changes (right or wrong current password) per person in 15 minutes


def _check_account_fields(
    check: Checker,
    *,
    username: FormText,
    name: FormText,
    email: FormText,
    password: FormText,
    password_confirm: FormText,
) -> tuple[str, str, str, str]:
    clean_username = username.strip().lower() if isinstance(username, str) else ''
    if not clean_username:
        check.fail('username', 'Username is required.')
    elif not USERNAME_PATTERN.fullmatch(clean_username):
        check.fail('username', 'Username must be 3–32 letters, digits, dots, dashes or underscores.')
    elif clean_username.startswith(DELETED_PREFIX):
        check.fail('username', f'Usernames starting with "{DELETED_PREFIX}" are kept for deleted accounts.')
    clean_name = check.text('name', name, label='Full name')
    clean_email = check.email('email', email)
    if not isinstance(password, str) or not password:
        check.fail('password', 'Password is required.')
        password = ''
    elif not 8 <= len(password) <= 128:
        check.fail('password', 'Password must be 8–128 characters.')
    if password_confirm is not None and password_confirm != password:
        check.fail('password_confirm', 'The two passwords differ.')
    return clean_username, clean_name, clean_email, str(password)


def signup(
    session: Session,
    *,
    username: FormText,
    name: FormText,
    email: FormText,
    password: FormText,
    password_confirm: FormText = None,
    role: FormText = Role.USER,
    client: str | None = None,
    verified: bool = False,
) -> User:
    """A new audience member or theatre manager. Usernames are case-insensitive (stored lower-case).
    Each address (`client`; None for the app's own callers, such as the demo data) may make a few accounts
    an hour: the count is taken once the input is right. The email address gets a link to verify it: until it is
    opened no booking email goes there. `verified`: the app's own callers whose addresses need no proof (the
    demo's made-up people, who get no email at all)."""
    check = Checker()
    clean_username, clean_name, clean_email, clean_password = _check_account_fields(
        check, username=username, name=name, email=email, password=password, password_confirm=password_confirm
    )
    if role not in SIGNUP_ROLES:
        check.fail('role', 'Choose audience member or theatre manager.')
    check.done()
    if client is not None:
        throttle().count_signup(client=client)
    user = _create(
        session,
        username=clean_username,
        name=clean_name,
        email=clean_email,
        password=clean_password,
        role=Role(str(role)),
    )
    if verified:
        user.email_verified_at = utcnow()
        return user
    from services import email_links  # it reads accounts through this module: imported when first needed

    email_links.queue_verification(session, user)
    return user


def signup_and_log_in(
    session: Session,
    *,
    browser_id: str,
    client: str,
    device: str,
    username: FormText,
    name: FormText,
    email: FormText,
    password: FormText,
    password_confirm: FormText = None,
    role: FormText = Role.USER,
) -> tuple[User, str]:
    """Sign up on a page and be logged in there: the new account and the browser's one-time login ticket."""
    user = signup(
        session,
        client=client,
        username=username,
        name=name,
        email=email,
        password=password,
        password_confirm=password_confirm,
        role=role,
    )
    return user, sessions.start_browser_login(session, user, browser_id=browser_id, device=device, client=client)


def create_admin(session: Session, *, username: str, name: str, email: str, password: str) -> User:
    check = Checker()
    clean_username, clean_name, clean_email, clean_password = _check_account_fields(
        check, username=username, name=name, email=email, password=password, password_confirm=None
    )
    check.done()
    admin = _create(
        session, username=clean_username, name=clean_name, email=clean_email, password=clean_password, role=Role.ADMIN
    )
    admin.email_verified_at = utcnow()  # made on the server by its operator, who gives their own address
    return admin


def _create(session: Session, *, username: str, name: str, email: str, password: str, role: Role) -> User:
    if session.scalar(select(func.count()).select_from(User).where(User.username == username)):
        raise Conflict(f'The username "{username}" is taken; choose another.', field='username')
    user = User(username=username, name=name, email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: FormText, password: FormText) -> User:
    """The user with these credentials; one neutral message whatever was wrong."""
    clean_username = username.strip().lower() if isinstance(username, str) else ''
    if not USERNAME_PATTERN.fullmatch(clean_username):
        clean_username = ''  # no such account can exist (and a NUL never reaches the database)
    user = session.scalar(select(User).where(User.username == clean_username)) if clean_username else None
    if not isinstance(password, str) or not password or len(password) > 128:
        raise Unauthenticated(WRONG_CREDENTIALS)
    if user is None:
        verify_password(password, dummy_hash())  # same cost as a real check: no timing hint that the user is unknown
        raise Unauthenticated(WRONG_CREDENTIALS)
    if not verify_password(password, user.password_hash) or not user.is_active:
        raise Unauthenticated(WRONG_CREDENTIALS)
    user.last_seen_at = utcnow()
    return user


def load_actor(session: Session, user_id: int) -> User:
    """The logged-in person, re-read from the database so a disabled account stops at once."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated('Please log in again.')
    return user


def require_role(user: User, *roles: Role, action: str) -> None:
    if user.role not in roles:
        raise NotAllowed(f'Only {" or ".join(_ROLE_NAMES[r] for r in roles)} can {action}.')


_ROLE_NAMES = {Role.USER: 'audience members', Role.MANAGER: 'theatre managers', Role.ADMIN: 'admins'}


def log_in(
    session: Session, *, username: FormText, password: FormText, client: str, device: str, browser_id: str | None = None
) -> tuple[User, str]:
    """Check the throttle, then the credentials. A success opens a session: for an API client, its bearer
    token; for a browser (`browser_id`), a one-time ticket that only that browser can redeem."""
    name = username if isinstance(username, str) else ''
    limiter = throttle()
    attempt = limiter.begin(username=name, client=client)
    try:
        user = authenticate(session, username=username, password=password)
    except Unauthenticated:
        raise  # a failure keeps its place in the counters
    except BaseException:
        limiter.release(attempt)  # the check never ran (a busy database, say): it counts for nothing
        raise
    limiter.succeeded(attempt)
    if browser_id is None:
        return user, sessions.open_api_session(session, user, device=device, client=client)
    return user, sessions.start_browser_login(session, user, browser_id=browser_id, device=device, client=client)


def change_password(
    session: Session,
    *,
    user_id: int,
    current_password: FormText,
    new_password: FormText,
    new_password_confirm: FormText,
    keep_session: str | None = None,
) -> None:
    """Change one's password; every other session of the person (all but `keep_session`) ends with it, and so
    do their open reset links. Someone holding a stolen session gets a few guesses at the current password."""
    user = load_actor(session, user_id)
    throttle().count(  # counted before the check, so a guess past the limit learns nothing
        f'pwchange:{user_id}',
        limit=PASSWORD_CHANGE_TRIES,
        window_seconds=900,
        message='Too many password changes. Try again in {wait}.',
    )
    check = Checker()
    if not isinstance(current_password, str) or not verify_password(current_password[:128], user.password_hash):
        check.fail('current_password', 'This is not your current password.')
    if not isinstance(new_password, str) or not 8 <= len(new_password) <= 128:
        check.fail('new_password', 'Password must be 8–128 characters.')
    elif new_password_confirm != new_password:
        check.fail('new_password_confirm', 'The two passwords differ.')
    check.done()
    user.password_hash = hash_password(str(new_password))
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    sessions.revoke_user(session, user_id=user_id, keep=keep_session)
