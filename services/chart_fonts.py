"""The fonts the chart images draw with: DejaVu Sans (matplotlib's own) for Latin text, then Noto fonts for the
Indian scripts show and theatre names are written in.

matplotlib (3.6 and later) falls back glyph by glyph along `font.family`, and lays out each script with its
shaping engine, so one list draws 'Hamlet · हिन्दी नाटक · தமிழ்' in one title. The Noto fonts come from Debian's
`fonts-noto-core`; a family the machine lacks is left out of the list, so a machine without them still draws
every chart (those scripts then show as boxes, and the log says once how to get them).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from matplotlib import font_manager

log = logging.getLogger(__name__)

LATIN = 'DejaVu Sans'
FAMILIES = (
    LATIN,
    'Noto Sans',
    'Noto Sans Devanagari',  # Hindi, Marathi, Nepali, Sanskrit
    'Noto Sans Bengali',  # Bengali, Assamese
    'Noto Sans Gurmukhi',  # Punjabi
    'Noto Sans Gujarati',
    'Noto Sans Oriya',
    'Noto Sans Tamil',
    'Noto Sans Telugu',
    'Noto Sans Kannada',
    'Noto Sans Malayalam',
    'Noto Sans Sinhala',
    'Noto Naskh Arabic',  # Urdu
)


@functools.cache
def _latin_codepoints() -> frozenset[int]:
    return frozenset(font_manager.get_font(font_manager.findfont(LATIN)).get_charmap())


def latin_covers(text: str) -> bool:
    """Whether DejaVu Sans alone has every character of `text`, so no fallback font is needed to draw it."""
    codepoints = _latin_codepoints()
    return all(ord(char) in codepoints or char.isspace() for char in text)


@functools.cache
def font_families() -> tuple[str, ...]:
    """The families of FAMILIES this machine has, in order (DejaVu Sans at least: matplotlib ships it)."""
    found = available(FAMILIES, font_manager.fontManager, font_manager.findSystemFonts)
    if 'Noto Sans Devanagari' not in found:
        log.info(
            'Charts: the Noto fonts for Indian scripts are not installed, so such names show as boxes in the chart '
            'images (apt-get install fonts-noto-core, then restart)'
        )
    return found


def available(
    wanted: Sequence[str], manager: font_manager.FontManager, system_fonts: Callable[[], Iterable[str]]
) -> tuple[str, ...]:
    """The families of `wanted` that `manager` knows, in order.

    matplotlib lists the machine's fonts once and keeps the list (in ~/.cache/matplotlib), so fonts installed
    after that are unknown to it: a wanted family it lacks is looked for among the font files `system_fonts()`
    names ('NotoSansTamil-Regular.ttf' is 'Noto Sans Tamil') and added.
    """
    known = {entry.name for entry in manager.ttflist}
    missing = {family.replace(' ', ''): family for family in wanted if family not in known}
    if missing:
        for path in system_fonts():
            if Path(path).stem.split('-')[0] not in missing:
                continue
            try:
                manager.addfont(path)
            except (OSError, RuntimeError) as error:  # an unreadable or broken font file: do without it
                log.warning('Charts: cannot read the font %s: %s', path, error)
        known = {entry.name for entry in manager.ttflist}
    return tuple(family for family in wanted if family in known)
