"""`?redirect_to=` after a login or sign-up: a path on this site is followed, anything else goes home.

The values are what the page receives, i.e. after the query string's one round of percent-decoding:
`?redirect_to=/%09/other.host/x` arrives as '/\t/other.host/x', which a browser reads as '//other.host/x'.
"""

from __future__ import annotations

import pytest

from ui.common import safe_target

ELSEWHERE = {
    'missing': None,
    'empty': '',
    'relative': 'bookings',
    'absolute-url': 'https://other.host/x',
    'scheme-without-slashes': 'https:other.host',
    'javascript': 'javascript:alert(1)',
    'scheme-relative': '//other.host/x',
    'three-slashes': '///other.host/x',
    'tab-between-slashes': '/\t/other.host/x',
    'line-feed-between-slashes': '/\n/other.host/x',
    'carriage-return-between-slashes': '/\r/other.host/x',
    'crlf-between-slashes': '/\r\n/other.host/x',
    'space-between-slashes': '/ /other.host/x',
    'ideographic-space': '/\u3000/other.host/x',
    'line-separator': '/\u2028/other.host/x',
    'zero-width-space': '/\u200b/other.host/x',
    'nul': '/\x00/other.host/x',
    'delete-char': '/\x7f/other.host/x',
    'leading-space': ' /bookings',
    'trailing-newline': '/bookings\n',
    'backslash-after-slash': '/\\other.host/x',
    'two-backslashes': '\\\\other.host/x',
    'slash-backslash-tab': '/\t\\other.host/x',
    'backslash-later': '/shows\\7',
    'encoded-slash': '/%2F/other.host/x',
    'encoded-slash-lower-case': '/%2f/other.host/x',
    'encoded-backslash': '/%5C/other.host/x',
    'encoded-backslashes': '/%5c%5cother.host/x',
    'encoded-twice-slash': '/%252F/other.host/x',
    'encoded-three-times-slash': '/%25252F/other.host/x',
    'encoded-tab-then-slash': '/%09/other.host/x',
    'encoded-newline-then-slash': '/%0A/other.host/x',
}
HERE = {
    'home': '/',
    'page': '/bookings',
    'show': '/shows/7',
    'with-query': '/shows/7?tickets=2',
    'encoded-space-in-query': '/?q=a%20b&place=Mumbai',
    'fragment': '/manage#theatre-3',
    'nested-redirect': '/login?redirect_to=%2Fbookings',
    'double-slash-later': '/shows//7',
    'encoded-slash-later': '/shows/7%2F',
    'colon-in-path': '/shows/7:matinee',
    'non-ascii': '/shows/नाटक',
}


@pytest.mark.parametrize('target', ELSEWHERE.values(), ids=ELSEWHERE.keys())
def test_anything_but_a_path_on_this_site_goes_home(target: str | None) -> None:
    assert safe_target(target) == '/'


@pytest.mark.parametrize('target', HERE.values(), ids=HERE.keys())
def test_a_path_on_this_site_is_followed_as_it_is(target: str) -> None:
    assert safe_target(target) == target
