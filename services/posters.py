"""Show posters: an uploaded image is checked, turned upright, cut to a 2:3 portrait, stripped of its metadata and
stored as WebP at a few widths under a name taken from its content, so its URLs can be cached for ever. Setting
or removing a show's poster is its manager's (or an admin's) change, audited like an edit.

Files are written before the transaction commits (a show never points at a missing poster) and once more after
it (another show's clean-up may have removed the same content in between); a poster no show uses any more is
removed after the commit.
"""

from __future__ import annotations

import colorsys
import functools
import hashlib
import io
import logging
import os
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditAction, Show
from services import audit
from services.access import managed_show
from services.auth import load_actor
from services.cache import invalidate_after_commit
from services.config import get_settings
from services.errors import Conflict, Invalid
from services.hooks import on_commit
from services.shows import ShowView, show_view

log = logging.getLogger(__name__)

FIELD = 'poster'
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before its pixels are decoded
MIN_SIDE = 200
WIDTHS = (240, 480, 960)
FORMATS = ('JPEG', 'PNG', 'WEBP', 'GIF')
QUALITY = 82
KEY_PATTERN = re.compile(r'[0-9a-f]{32}')
FILE_PATTERN = re.compile(r'(?P<key>[0-9a-f]{32})-(?P<width>[0-9]{3,4})\.webp')
URL_PREFIX = '/media/posters'
# What a damaged or hostile file makes Pillow raise while decoding.
_UNREADABLE = (OSError, ValueError, EOFError, SyntaxError, IndexError, TypeError, struct.error)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB'))

NOT_AN_IMAGE = 'This file is not a JPEG, PNG, WebP or GIF image.'
DAMAGED = 'The image could not be read: the file is damaged or incomplete.'
TOO_MANY_PIXELS = f'The image has too many pixels: at most {MAX_PIXELS // 1_000_000} megapixels are accepted.'
CANCELLED = 'This performance has been cancelled; it can no longer change.'


@dataclass(frozen=True)
class PreparedPoster:
    """A checked image, ready to store: its key and a WebP file per width."""

    key: str
    files: dict[int, bytes]


def poster_dir() -> Path:
    return get_settings().media_dir / 'posters'


def file_name(key: str, width: int) -> str:
    return f'{key}-{width}.webp'


def poster_urls(key: str | None) -> dict[int, str] | None:
    """Each stored width's URL, or None for a show without a poster."""
    if key is None:
        return None
    return {width: f'{URL_PREFIX}/{file_name(key, width)}' for width in WIDTHS}


def stored_file(name: str) -> Path | None:
    """The stored file named `name` (`<key>-<width>.webp`), or None when no such poster is kept. Only a name of
    that exact form is looked up, so nothing outside the folder can be reached."""
    match = FILE_PATTERN.fullmatch(name)
    if match is None or int(match['width']) not in WIDTHS:
        return None
    path = poster_dir() / name
    return path if path.is_file() else None


def _invalid(message: str) -> Invalid:
    return Invalid({FIELD: message})


def prepare(data: bytes) -> PreparedPoster:
    """Check an uploaded image and make the poster's files; `Invalid` (field 'poster') says what is wrong."""
    if not data:
        raise _invalid('The file is empty: choose a JPEG, PNG, WebP or GIF image.')
    if len(data) > MAX_BYTES:
        raise _invalid(f'The image is {len(data) / 2**20:.1f} MiB; a poster may be at most {MAX_BYTES // 2**20} MiB.')
    image = _open(data)
    cropped = _portrait(_upright_srgb(image))
    files = {width: _webp(cropped, width) for width in WIDTHS}
    digest = hashlib.sha256()
    for width in WIDTHS:
        digest.update(files[width])
    return PreparedPoster(digest.hexdigest()[:32], files)


def _open(data: bytes) -> Image.Image:
    """The image, its header read and its size checked; nothing decoded yet."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard (far above ours) refuses before we can read the size; a warning is raised only where
        # warnings are errors (the tests), and is the same refusal.
        raise _invalid(TOO_MANY_PIXELS) from None
    except _UNREADABLE:
        raise _invalid(NOT_AN_IMAGE) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _invalid(
            f'The image is {width:,} × {height:,} pixels ({width * height / 1e6:.0f} megapixels); '
            f'at most {MAX_PIXELS // 1_000_000} megapixels are accepted.'
        )
    if min(width, height) < MIN_SIDE:
        raise _invalid(
            f'The image is {width:,} × {height:,} pixels; a poster needs at least {MIN_SIDE} pixels on each side.'
        )
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 of its size: enough for the widest poster, far quicker for a photo.
    image.draft('RGB', (max(WIDTHS) * 3 // 2, max(WIDTHS) * 3 // 2))
    return image


def _upright_srgb(image: Image.Image) -> Image.Image:
    """The first frame decoded, turned as its EXIF orientation says, in sRGB, without transparency or metadata."""
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        profile = image.info.get('icc_profile')
        if profile and upright.mode in ('RGB', 'CMYK'):
            upright = _to_srgb(upright, profile)
        if upright.mode in ('RGBA', 'LA', 'PA') or (upright.mode == 'P' and 'transparency' in upright.info):
            rgba = upright.convert('RGBA')
            flat = Image.new('RGB', rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel('A'))
            upright = flat
        rgb = upright.convert('RGB')
    except _UNREADABLE:
        raise _invalid(DAMAGED) from None
    rgb.info.clear()  # no EXIF, GPS, comments or colour profile goes into the stored files
    return rgb


def _to_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    """Colours as the embedded profile means them, in sRGB (what browsers assume); as they are if it is unusable."""
    try:
        converted = ImageCms.profileToProfile(image, io.BytesIO(profile), _SRGB, outputMode='RGB')
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        log.info('poster colour profile unusable; colours kept as they are')
        return image
    return converted if converted is not None else image


def _portrait(image: Image.Image) -> Image.Image:
    """The largest 2:3 portrait in the middle of the image."""
    width, height = image.size
    if width * 3 > height * 2:
        crop_width, crop_height = height * 2 // 3, height
    else:
        crop_width, crop_height = width, width * 3 // 2
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    return image.crop((left, top, left + crop_width, top + crop_height))


def _webp(poster: Image.Image, width: int) -> bytes:
    """The poster `width` pixels wide (never enlarged: a small upload keeps its own width in the wider files)."""
    target = min(width, poster.width)
    resized = poster.resize((target, round(target * 3 / 2)), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    resized.save(out, 'WEBP', quality=QUALITY, method=4)
    return out.getvalue()


def _write(folder: Path, poster: PreparedPoster) -> None:
    """Store the poster's files, each written whole under a temporary name first (a reader never sees half)."""
    folder.mkdir(parents=True, exist_ok=True)
    for width, content in poster.files.items():
        target = folder / file_name(poster.key, width)
        if target.is_file() and target.stat().st_size == len(content):
            continue
        temporary = folder / f'.{target.name}.{secrets.token_hex(6)}.tmp'
        temporary.write_bytes(content)
        os.replace(temporary, target)


def _remove_files(folder: Path, key: str) -> None:
    for width in WIDTHS:
        (folder / file_name(key, width)).unlink(missing_ok=True)


def _in_use(session: Session, key: str) -> bool:
    return session.scalar(select(Show.id).where(Show.poster_key == key).limit(1)) is not None


def _replace(session: Session, show: Show, key: str | None, *, actor_id: int) -> None:
    """Point the show at `key` (None: no poster), audited; the old files go after the commit if nothing else uses
    them."""
    old = show.poster_key
    if old == key:
        return
    show.poster_key = key
    session.flush()
    audit.record(session, actor_id=actor_id, action=AuditAction.SHOW_CHANGED, target=show, changes={FIELD: [old, key]})
    invalidate_after_commit(session, 'listing', f'show:{show.id!r}', f'theatre:{show.theatre_id!r}')
    if old is not None and not _in_use(session, old):
        on_commit(session, functools.partial(_remove_files, poster_dir(), old))


def _show_to_change(session: Session, actor_id: int, show_id: int) -> Show:
    show = managed_show(session, load_actor(session, actor_id), show_id)
    if show.cancelled:
        raise Conflict(CANCELLED)
    return show


def set_poster(session: Session, *, actor_id: int, show_id: int, image: bytes) -> ShowView:
    """Give the show this poster (the image as uploaded); the manager's or an admin's. Who may change the show is
    checked before the image is looked at."""
    show = _show_to_change(session, actor_id, show_id)
    poster = prepare(image)
    folder = poster_dir()
    _write(folder, poster)
    _replace(session, show, poster.key, actor_id=actor_id)
    on_commit(session, functools.partial(_write, folder, poster))
    return show_view(session, show)


def release(session: Session, key: str | None) -> None:
    """For a caller that has just deleted a show (flushed) that had poster `key`: its files go after the commit
    unless another show still uses them."""
    if key is not None and not _in_use(session, key):
        on_commit(session, functools.partial(_remove_files, poster_dir(), key))


def remove_poster(session: Session, *, actor_id: int, show_id: int) -> ShowView:
    """Back to the generated placeholder; nothing happens to a show that has no poster."""
    show = _show_to_change(session, actor_id, show_id)
    _replace(session, show, None, actor_id=actor_id)
    return show_view(session, show)


# --- demo data --------------------------------------------------------------------------------------------------


def demo_art(name: str) -> bytes:
    """A made-up poster for the demo data (PNG, 960 × 1440): a soft spotlight on a gradient in colours taken from
    the name, 'LIVE ON STAGE' and the name in large type. The same name always gives the same picture."""
    digest = hashlib.sha256(name.strip().casefold().encode()).digest()
    hue = digest[0] / 255
    size = width, height = 960, 1440
    top, bottom, light = _hsv(hue, 0.75, 0.5), _hsv(hue + 0.06, 0.9, 0.12), _hsv(hue + 0.5, 0.35, 1.0)
    art = Image.composite(
        Image.new('RGB', size, bottom), Image.new('RGB', size, top), Image.linear_gradient('L').resize(size)
    )
    # The light is drawn and blurred at a quarter of the size, then enlarged: as soft, far quicker.
    glow = Image.new('RGBA', (width // 4, height // 4), (0, 0, 0, 0))
    draw = ImageDraw.Draw(glow)
    x, y = (260 + digest[1] * 440 // 255) // 4, (430 + digest[2] * 160 // 255) // 4
    for beam in range(3):  # beams from the top edge to the spot
        left = digest[3 + beam] * width // 255 // 4
        draw.polygon([(left - 10, 0), (left + 10, 0), (x + 45 - beam * 45, y)], fill=(*light, 90))
    draw.ellipse((x - 65, y - 50, x + 65, y + 50), fill=(*light, 150))
    glow = glow.filter(ImageFilter.GaussianBlur(14)).resize(size, Image.Resampling.BILINEAR)
    art = Image.alpha_composite(art.convert('RGBA'), glow)
    fade = Image.linear_gradient('L').resize((width, height // 2)).point(lambda v: v * 220 // 255)
    shade = Image.new('RGBA', (width, height // 2), (0, 0, 0, 0))
    shade.putalpha(fade)
    art.alpha_composite(shade, (0, height - height // 2))
    draw = ImageDraw.Draw(art)
    draw.text((width // 2, 110), 'LIVE  ON  STAGE', font=ImageFont.load_default(size=44), fill='white', anchor='mm')
    lines, font = _fitted(name.strip(), width - 140)
    box = draw.multiline_textbbox((0, 0), '\n'.join(lines), font=font, spacing=14, align='center')
    draw.multiline_text(
        ((width - (box[2] - box[0])) // 2 - box[0], height - 150 - box[3]),
        '\n'.join(lines),
        font=font,
        fill='white',
        spacing=14,
        align='center',
        stroke_width=2,
        stroke_fill='white',
    )
    out = io.BytesIO()
    art.convert('RGB').save(out, 'PNG')
    return out.getvalue()


def _hsv(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _fitted(text: str, width: int) -> tuple[list[str], ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    """The text in lines no wider than `width`, in the largest size (down to 56 px) at which every word fits and it
    needs at most 4 lines; at the smallest size a word too long for a line is cut where it fills one."""
    for size in range(150, 55, -8):
        font = ImageFont.load_default(size=size)
        smallest = size - 8 < 56
        if not smallest and any(font.getlength(word) > width for word in text.split()):
            continue
        lines: list[str] = []
        for word in text.split():
            while font.getlength(word) > width:
                cut = max(1, next(n for n in range(len(word), 0, -1) if font.getlength(word[:n]) <= width))
                lines.append(word[:cut])
                word = word[cut:]
            if lines and font.getlength(f'{lines[-1]} {word}') <= width:
                lines[-1] = f'{lines[-1]} {word}'
            else:
                lines.append(word)
        if len(lines) <= 4 or smallest:
            return lines, font
    raise AssertionError('unreachable: the smallest size always returns')


def add_demo_posters(session: Session, *, every_nth_without: int = 4) -> int:
    """Give the demo's shows generated posters, one per name (all of a production's dates share it); every
    `every_nth_without`-th name keeps the placeholder, so the demo shows both. The demo loader's own step: no
    audit. Returns how many names got one."""
    productions: dict[str, list[Show]] = {}
    for show in session.scalars(select(Show).where(Show.poster_key.is_(None)).order_by(Show.id)):
        productions.setdefault(show.name.strip().casefold(), []).append(show)
    given = 0
    for index, (_name, group) in enumerate(sorted(productions.items())):
        if every_nth_without and index % every_nth_without == every_nth_without - 1:
            continue
        poster = prepare(demo_art(group[0].name))
        _write(poster_dir(), poster)
        for show in group:
            show.poster_key = poster.key
        given += 1
    session.flush()
    invalidate_after_commit(session, 'listing', *(f'show:{s.id!r}' for group in productions.values() for s in group))
    return given
