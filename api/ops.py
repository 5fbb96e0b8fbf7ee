"""What an operator's tools ask: /healthz (alive) and /readyz (ready to serve), no login and no personal data; and
/metrics for Prometheus, with the token of TICKETSHOW_METRICS_TOKEN (no token set: no /metrics)."""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services import health, metrics
from services.config import get_settings

router = APIRouter(tags=['operations'])
NO_STORE = {'Cache-Control': 'no-store'}
# A scrape reads the database (queue depths): on a thread of its own, one scrape at a time.
_scrapes = ThreadPoolExecutor(max_workers=1, thread_name_prefix='metrics')


@router.get('/healthz', summary='Liveness: the process answers', operation_id='healthz')
@router.head('/healthz', summary='Liveness, for balancers that probe with HEAD', operation_id='healthz_head')
async def healthz() -> JSONResponse:
    """Always 200 while the process can answer at all: nothing is checked (a restart is what helps otherwise)."""
    return JSONResponse({'status': 'alive'}, headers=NO_STORE)


@router.get('/readyz', summary='Readiness: this instance can serve', operation_id='readyz')
@router.head('/readyz', summary='Readiness, for balancers that probe with HEAD', operation_id='readyz_head')
async def readyz(
    strict: bool = Query(False, description='answer 503 for a degraded deployment too (Redis, scheduler, outbox)'),
) -> JSONResponse:
    """200 when this instance can serve (its database answers and is migrated), 503 with Retry-After when not.
    Every check is listed; a deployment-wide problem (Redis on its fallback, no scheduler leader, email not
    moving) makes the status `degraded`, still 200 unless `strict`. Checked at most once a second."""
    result = await health.readiness()
    ok = result.ready and (not strict or result.status == 'ready')
    headers = NO_STORE if ok else {**NO_STORE, 'Retry-After': '5'}
    return JSONResponse(result.as_json(), status_code=200 if ok else 503, headers=headers)


@router.get('/metrics', include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus's text format, for `Authorization: Bearer <TICKETSHOW_METRICS_TOKEN>`; 404 when no token is set
    (metrics are off), 401 without the right one."""
    token = get_settings().metrics_token
    if token is None:
        return JSONResponse({'detail': 'Metrics are off: set TICKETSHOW_METRICS_TOKEN to turn them on.'}, 404)
    scheme, _, given = request.headers.get('authorization', '').partition(' ')
    if scheme.lower() != 'bearer' or not secrets.compare_digest(given.strip().encode(), token.encode()):
        return JSONResponse(
            {'detail': 'Metrics need the bearer token the operator set.'}, 401, headers={'WWW-Authenticate': 'Bearer'}
        )
    body = await asyncio.get_running_loop().run_in_executor(_scrapes, metrics.exposition)
    return Response(body, media_type=metrics.CONTENT_TYPE, headers=NO_STORE)
