"""A page view whose browser never opens its websocket is deleted seconds after it was sent; a connected one stays.

The app runs as a real server process (tests/api/conftest.py) with a 2-second threshold; the page's websocket is
opened as NiceGUI's page script opens it (bench/clients.py). Whether a page view still exists is asked the way a
browser would: its websocket's handshake is refused once the view is gone.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import socketio

from bench.clients import connect_page
from tests.api.conftest import LiveApp, start_live_app
from tests.conftest import TEST_DATABASE, throwaway_postgres

THRESHOLD = 2.0


@pytest.fixture
def app(tmp_path: Path) -> Iterator[LiveApp]:
    with ExitStack() as databases:
        url = databases.enter_context(throwaway_postgres()) if TEST_DATABASE == 'postgres' else None
        live = start_live_app(tmp_path / 'var', database_url=url, TICKETSHOW_UNCONNECTED_PAGE_SECONDS=str(THRESHOLD))
        try:
            yield live
        finally:
            live.process.terminate()
            try:
                live.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                live.process.kill()


async def _refused(base: str, html: str) -> bool:
    try:
        sio = await connect_page(base, html)
    except socketio.exceptions.ConnectionError:
        return True
    await sio.disconnect()
    return False


def test_a_page_view_without_a_websocket_goes_and_a_connected_one_stays(app: LiveApp) -> None:
    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as http:
            kept = (await http.get('/')).text
            tab, document = str(uuid.uuid4()), str(uuid.uuid4())
            browser = await connect_page(app.base_url, kept, tab_id=tab, document_id=document)
            http.cookies.clear()
            crawled = (await http.get('/')).text  # a crawler's view: never connects
            fresh = (await http.get('/')).text
            assert not await _refused(app.base_url, fresh)  # not deleted on sight: a browser has time to connect

            # One look only: a look that connects would make the view a connected one (and NiceGUI would delete
            # it on the disconnect). The pruning looks once a second; NiceGUI alone keeps such a view for 60 s.
            await asyncio.sleep(THRESHOLD + 4)
            assert await _refused(app.base_url, crawled)

            # Past the threshold the connected page is still there: the same tab, its socket dropped for a moment
            # (shorter than NiceGUI's reconnect timeout), connects to it again, which a deleted page refuses.
            await browser.disconnect()
            again = await connect_page(app.base_url, kept, tab_id=tab, document_id=document)
            assert again.connected
            await again.disconnect()

    asyncio.run(scenario())
