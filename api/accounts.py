"""One's own account: who one is, the password, one's details (name, a change of address confirmed by a link),
verifying the address, and deleting the account. Signup, login, logout and the password-reset routes are in
`api.v1`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import call, call_hashing
from api.schemas import AccountDeleteIn, AccountIn, Message, PasswordChangeIn, TokenIn, UserOut
from api.v1 import ERRORS, Caller, throttled, user_out
from services import accounts, auth, email_links

router = APIRouter(prefix='/api/v1')


@router.get('/me', response_model=UserOut, responses=ERRORS, tags=['accounts'])
async def me(who: Caller) -> UserOut:
    return user_out(await call(email_links.account, user_id=who.user_id))


@router.put(
    '/me/password',
    status_code=204,
    responses=throttled('five changes in 15 minutes already'),
    tags=['accounts'],
)
async def change_password(body: PasswordChangeIn, who: Caller) -> Response:
    """Every other session of the caller ends at once; this one (the bearer's) stays."""
    await call_hashing(
        auth.change_password,
        user_id=who.user_id,
        current_password=body.current_password,
        new_password=body.new_password,
        new_password_confirm=body.new_password,  # an API client has no second field to mistype
        keep_session=who.session_id,
    )
    return Response(status_code=204)


@router.patch(
    '/me', response_model=UserOut, responses=throttled('five email changes in 15 minutes already'), tags=['accounts']
)
async def update_me(body: AccountIn, who: Caller) -> UserOut:
    """A new name applies at once (checked as at signup). A new email needs `current_password`: the address stays
    as it is, shown as `pending_email`, until the link mailed to the new one is opened (`POST /auth/confirm-email`);
    the current address is told. An address another account uses is 409."""
    return user_out(await call_hashing(accounts.update_account, user_id=who.user_id, **body.model_dump()))


@router.delete('/me', status_code=204, responses=throttled('five tries in 15 minutes already'), tags=['accounts'])
async def delete_me(body: AccountDeleteIn, who: Caller) -> Response:
    """Delete one's account: bookings, tickets and ratings stay (anonymous) for the theatres' books; name, username,
    address and password are gone and every session ends. 409 while the caller owns theatres, or is the last active
    admin; a wrong password is 422."""
    await call_hashing(accounts.delete_account, user_id=who.user_id, current_password=body.current_password)
    return Response(status_code=204)


@router.delete('/me/email/pending', response_model=UserOut, responses=ERRORS, tags=['accounts'])
async def cancel_email_change(who: Caller) -> UserOut:
    """Forget a change of address still waiting for its link: the link stops working."""
    return user_out(await call(email_links.cancel_email_change, user_id=who.user_id))


@router.post(
    '/me/email/verification',
    status_code=202,
    response_model=Message,
    responses=throttled('a link was sent less than a minute ago'),
    tags=['accounts'],
)
async def resend_verification(who: Caller) -> Message:
    """Mail a new link to verify the caller's address. 409 when it is verified already."""
    await call(email_links.resend_verification, user_id=who.user_id)
    return Message(detail='We have sent a new link to your email address. It works for 48 hours.')


@router.post('/auth/verify-email', status_code=204, responses=ERRORS, tags=['accounts'])
async def verify_email(body: TokenIn) -> Response:
    """Open a verification link (no login needed: the link is the proof). An unknown, used or expired token is
    422; the confirmations of bookings made before are sent now (shows not yet started)."""
    await call(email_links.verify_email, token=body.token)
    return Response(status_code=204)


@router.post('/auth/confirm-email', status_code=204, responses=ERRORS, tags=['accounts'])
async def confirm_email(body: TokenIn) -> Response:
    """Open a change-of-address link: the address becomes the account's, verified. An unknown, used or expired
    token is 422; an address another account took meanwhile is 409."""
    await call(email_links.confirm_email_change, token=body.token)
    return Response(status_code=204)
