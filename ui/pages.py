"""Every page's route, in one list: main.py registers them at start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import app, ui

from services.config import get_settings
from ui.account_details import confirm_email_page, verify_email_page
from ui.account_page import account_page
from ui.admin_page import users_page
from ui.audit_page import audit_page
from ui.auth_pages import complete_login, login_page, logout_page, renew_browser, signup_page
from ui.bookings_page import bookings_page
from ui.checkin_page import checkin_page
from ui.exports_page import exports_page
from ui.home import home_page
from ui.mail_pages import mail_admin_page, unsubscribe_page
from ui.manage_page import manage_page
from ui.password_pages import forgot_password_page, reset_password_page
from ui.seatmap_editor import seatmap_page
from ui.show_page import show_page
from ui.summary_page import summary_page
from ui.system_page import system_page
from ui.ticket_page import ticket_page
from ui.waitlist_page import waitlist_page

ROUTES: dict[str, Callable[..., Any]] = {
    '/': home_page,
    '/login': login_page,
    '/signup': signup_page,
    '/logout': logout_page,
    '/shows/{show_id}': show_page,
    '/bookings': bookings_page,
    '/bookings/{booking_id}': ticket_page,
    '/waitlist/{entry_id}': waitlist_page,
    '/checkin': checkin_page,
    '/manage': manage_page,
    '/theatres/{theatre_id}/seatmap': seatmap_page,
    '/summary': summary_page,
    '/audit': audit_page,
    '/exports': exports_page,
    '/account': account_page,
    '/admin/users': users_page,
    '/admin/mail': mail_admin_page,
    '/admin/system': system_page,
    '/unsubscribe': unsubscribe_page,
    '/forgot-password': forgot_password_page,
    '/reset-password': reset_password_page,
    '/verify-email/{token}': verify_email_page,
    '/confirm-email/{token}': confirm_email_page,
}


def register_pages() -> None:
    # A page may wait for a database lock up to the lock timeout and then say that TicketShow is busy; NiceGUI's
    # own limit for building a page (3 s by default) must not cut that short with its bare error page.
    response_timeout = max(3.0, get_settings().db_lock_timeout_seconds + 2)
    for path, page in ROUTES.items():
        ui.page(path, response_timeout=response_timeout)(page)
    # Plain HTTP routes: only a response can give the browser's cookie a new id.
    app.get('/auth/session', include_in_schema=False)(complete_login)
    app.get('/auth/renew', include_in_schema=False)(renew_browser)
