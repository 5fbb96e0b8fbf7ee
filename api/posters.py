"""Posters: a show's manager puts the image itself as the body (up to 10 MiB) or removes it; anyone fetches the
stored WebP files, which never change under their name and so are cached for a year."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api.deps import call
from api.schemas import Message, ShowOut
from api.v1 import ERRORS, Caller
from services import posters

router = APIRouter(prefix='/api/v1')
media_router = APIRouter()
IMMUTABLE = 'public, max-age=31536000, immutable'
IMAGE_TYPES = ('image/jpeg', 'image/png', 'image/webp', 'image/gif')
NOT_AN_IMAGE_TYPE = (
    'Send the image itself as the body, with Content-Type image/jpeg, image/png, image/webp or image/gif.'
)
IMAGE_BODY: dict[str, Any] = {
    'requestBody': {
        'required': True,
        'description': 'the image file itself (not a form), at most 10 MiB',
        'content': {kind: {'schema': {'type': 'string', 'format': 'binary'}} for kind in IMAGE_TYPES},
    }
}
POSTER_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {'model': Message, 'description': 'the image is larger than 10 MiB'},
    415: {'model': Message, 'description': 'the body is not declared as an image'},
}


def _is_image(request: Request) -> bool:
    kind = request.headers.get('content-type', '').split(';', 1)[0].strip().lower()
    return kind.startswith('image/')


@router.put(
    '/shows/{show_id}/poster',
    response_model=ShowOut,
    responses=POSTER_ERRORS,
    openapi_extra=IMAGE_BODY,
    tags=['shows'],
)
async def put_poster(show_id: int, request: Request, who: Caller) -> ShowOut:
    """Give the show a poster: a JPEG, PNG, WebP or GIF (its first frame), at least 200 pixels on each side and
    at most 40 megapixels. It is turned upright, cut to 2:3 and stored as WebP 240, 480 and 960 pixels wide."""
    if not _is_image(request):
        raise HTTPException(415, NOT_AN_IMAGE_TYPE)
    image = await request.body()
    return ShowOut.of(await call(posters.set_poster, actor_id=who.user_id, show_id=show_id, image=image))


@router.delete('/shows/{show_id}/poster', status_code=204, responses=ERRORS, tags=['shows'])
async def delete_poster(show_id: int, who: Caller) -> Response:
    """Back to the generated placeholder (nothing happens to a show without a poster)."""
    await call(posters.remove_poster, actor_id=who.user_id, show_id=show_id)
    return Response(status_code=204)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix('W/') for tag in if_none_match.split(',')]
    return '*' in tags or etag in tags


@media_router.api_route('/media/posters/{name}', methods=['GET', 'HEAD'], include_in_schema=False)
async def poster_file(name: str, request: Request) -> Response:
    """A stored poster, `<key>-<width>.webp`; any other name, or one no longer kept, is 404."""
    path = await run_in_threadpool(posters.stored_file, name)
    if path is None:
        return Response('No such poster.', status_code=404, media_type='text/plain')
    etag = f'"{name.removesuffix(".webp")}"'  # the name is the content's hash: the strongest of validators
    headers = {'Cache-Control': IMMUTABLE, 'ETag': etag, 'X-Content-Type-Options': 'nosniff'}
    if _matches(request.headers.get('if-none-match'), etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type='image/webp', headers=headers)
