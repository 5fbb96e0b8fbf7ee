"""The tickets as a PDF: A4, one block per ticket with a QR code big enough to scan from paper, three to a page.

The text is set in DejaVu Sans, the TrueType font matplotlib ships inside its package (so no font file of our own
and no system font is needed): it covers Latin, Greek and Cyrillic, where the PDF core fonts stop at Latin-1 (the
rupee sign, dashes and ellipses included). A character it lacks (a Chinese or Japanese name, say) prints as `?`
rather than failing the whole document; the QR code and the reference, which the door reads, are ASCII, and the
code under each QR is set in the core Courier.

Speed: fpdf2 parses a TrueType font for every document and subsets it again when writing, which for the whole of
DejaVu Sans (6,000 glyphs, 750 KB) was most of a ticket email's composing time. So each process cuts the two
DejaVu faces once down to the scripts above (about 110 KB each) into a temporary folder of its own, and documents
load those: 131 → 35 ms for the fonts' part of a document, measured with fpdf2 2.8.
"""

from __future__ import annotations

import io
import logging
import tempfile
import threading
from functools import cache
from pathlib import Path

import matplotlib
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import TTFFont

from models import TicketStatus
from services.etickets import qr
from services.etickets.document import TicketDocument, TicketLine
from services.formats import money, when
from services.words import plural

FONT = 'DejaVu'
MONO = 'Courier'  # a core font, for the code under each QR: typed by hand at the door, so l, I and 1 must differ
# What the cut-down fonts keep: Latin with its supplements and extensions, Greek, Cyrillic, punctuation (dashes,
# ellipsis, quotes), currency signs (the rupee), letter-like symbols, arrows and geometric shapes.
KEPT_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
    (0x2190, 0x21FF),
    (0x25A0, 0x25FF),
)
logging.getLogger('fontTools').setLevel(logging.WARNING)  # its subsetter logs a hundred INFO lines a document
BRAND = (76, 29, 149)  # the emails' and pages' purple, #4c1d95
INK = (31, 41, 55)
MUTED = (75, 85, 99)
RED = (185, 28, 28)
LINE = (209, 213, 219)

MARGIN = 15.0  # mm
WIDTH = 210.0 - 2 * MARGIN
HEADER = 26.0
BLOCK = 76.0
GAP = 6.0
PER_PAGE = 3
QR_SIZE = 58.0  # mm with the quiet zone: the code itself is about 45 mm, far above the 35 mm a phone needs from paper
PAD = 7.0


_fonts_lock = threading.Lock()


@cache
def _font_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix='ticketshow-fonts-')  # removed when the process ends


def _font_files() -> tuple[Path, Path]:
    """DejaVu Sans and its bold face cut down to KEPT_RANGES, made once per process."""
    with _fonts_lock:
        folder = Path(_font_folder().name)
        made = folder / 'DejaVuSans.ttf', folder / 'DejaVuSans-Bold.ttf'
        if not all(path.exists() for path in made):
            source = Path(matplotlib.get_data_path()) / 'fonts' / 'ttf'
            unicodes = [code for low, high in KEPT_RANGES for code in range(low, high + 1)]
            for path in made:
                font = TTFont(source / path.name)
                options = subset.Options()
                options.name_IDs = ['*']  # keep the licence and names
                options.notdef_outline = True
                options.layout_features = []
                options.drop_tables += ['FFTM']  # FontForge's timestamp: nothing to keep
                subsetter = subset.Subsetter(options)
                subsetter.populate(unicodes=unicodes)
                subsetter.subset(font)
                part = path.with_suffix('.part')
                font.save(part)
                part.rename(path)
        return made


def render(document: TicketDocument) -> bytes:
    """The PDF of a booking's tickets; a cancelled booking's every ticket says CANCELLED across it."""
    pdf = FPDF(orientation='portrait', unit='mm', format='A4')
    regular, bold = _font_files()
    pdf.add_font(FONT, '', str(regular))
    pdf.add_font(FONT, 'B', str(bold))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(f'Tickets {document.reference}')
    pdf.set_author('TicketShow')
    pdf.set_creator('TicketShow')
    count = len(document.tickets)
    for number, ticket in enumerate(document.tickets, start=1):
        slot = (number - 1) % PER_PAGE
        if slot == 0:
            pdf.add_page()
            _header(pdf, document)
        _ticket(pdf, document, ticket, number, count, top=MARGIN + HEADER + slot * (BLOCK + GAP))
    if not document.tickets:  # a booking always has tickets; an empty document still gives a readable page
        pdf.add_page()
        _header(pdf, document)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str) -> str:
    """`text` with every character the current font lacks as `?`."""
    font = pdf.current_font
    if not isinstance(font, TTFFont):
        return text
    return ''.join(c if ord(c) in font.cmap or c in '\n\t' else '?' for c in text)


def _fit(pdf: FPDF, text: str, width: float, size: float, smallest: float) -> str:
    """Set the largest font size from `size` down to `smallest` at which `text` fits `width`; else cut it short."""
    text = _text(pdf, text)
    while size > smallest and pdf.get_string_width(text) > width:
        size -= 0.5
        pdf.set_font_size(size)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + '…') > width:
        text = text[:-1]
    return text.rstrip() + '…'


def _line(
    pdf: FPDF,
    x: float,
    y: float,
    width: float,
    text: str,
    *,
    size: float,
    bold: bool = False,
    colour: tuple[int, int, int] = INK,
) -> float:
    """One line of text at (x, y), shrunk to fit; returns the y below it."""
    pdf.set_font(FONT, 'B' if bold else '', size)
    pdf.set_text_color(*colour)
    fitted = _fit(pdf, text, width, size, smallest=max(7.0, size * 0.6))
    height = pdf.font_size * 1.35
    pdf.set_xy(x, y)
    pdf.cell(width, height, fitted, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return y + height


def _header(pdf: FPDF, document: TicketDocument) -> None:
    top = MARGIN
    pdf.set_fill_color(*BRAND)
    pdf.rect(MARGIN, top, WIDTH, 11, style='F', round_corners=True, corner_radius=2)
    pdf.set_font(FONT, 'B', 14)
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN + 4, top)
    pdf.cell(60, 11, 'TicketShow')
    pdf.set_font(FONT, '', 11)
    pdf.set_xy(MARGIN + 60, top)
    pdf.cell(WIDTH - 64, 11, f'Booking {document.reference}', align=Align.R)
    summary = f'{document.holder_name} · {plural(len(document.tickets), "ticket")} · {money(document.total_cents)}'
    if document.cancelled:
        summary += ' · CANCELLED'
    _line(pdf, MARGIN, top + 13, WIDTH, summary, size=10, colour=MUTED)


def _ticket(pdf: FPDF, document: TicketDocument, ticket: TicketLine, number: int, count: int, *, top: float) -> None:
    left = MARGIN
    cancelled = document.cancelled or ticket.status == TicketStatus.CANCELLED
    pdf.set_draw_color(*(RED if cancelled else LINE))
    pdf.set_line_width(0.6 if cancelled else 0.3)
    pdf.rect(left, top, WIDTH, BLOCK, style='D', round_corners=True, corner_radius=3)

    qr_x, qr_y = left + PAD - 3, top + PAD - 3
    pdf.image(io.BytesIO(qr.png(ticket.code, scale=12)), x=qr_x, y=qr_y, w=QR_SIZE, h=QR_SIZE)
    pdf.set_font(MONO, '', 8)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(qr_x, qr_y + QR_SIZE)
    pdf.cell(QR_SIZE, 4, ticket.code, align=Align.C)

    x = left + PAD + QR_SIZE + 2
    width = left + WIDTH - PAD - x
    y = top + PAD
    if cancelled:
        pdf.set_fill_color(*RED)
        pdf.rect(x, y, width, 9, style='F', round_corners=True, corner_radius=1.5)
        pdf.set_font(FONT, 'B', 13)
        pdf.set_text_color(255, 255, 255)
        pdf.set_xy(x, y)
        pdf.cell(width, 9, 'CANCELLED — admits no one', align=Align.C)
        y += 11
        # and across the code, so that no one mistakes a printed copy for a ticket
        pdf.set_draw_color(*RED)
        pdf.set_line_width(1.2)
        pdf.line(qr_x + 4, qr_y + 4, qr_x + QR_SIZE - 4, qr_y + QR_SIZE - 4)
        pdf.line(qr_x + 4, qr_y + QR_SIZE - 4, qr_x + QR_SIZE - 4, qr_y + 4)
    else:
        y = _line(pdf, x, y, width, f'TICKET {number} OF {count}', size=9, bold=True, colour=BRAND) + 1
    y = _line(pdf, x, y, width, document.show_name, size=18, bold=True) + 1
    y = _line(pdf, x, y, width, when(document.starts_at, document.tz), size=12)
    y = _line(pdf, x, y, width, f'{document.theatre_name}, {document.place}', size=12) + 2
    y = _line(pdf, x, y, width, ticket.seat_line, size=14, bold=True)  # 'Stalls · Row C · Seat 7'
    y = _line(pdf, x, y, width, f'{money(ticket.price_cents)} · {document.holder_name}', size=11, colour=MUTED)
    y = _line(pdf, x, y, width, f'Reference {document.reference}', size=11, colour=MUTED)
    if cancelled:
        _line(pdf, x, y, width, f'Ticket {number} of {count}', size=9, colour=MUTED)
    elif ticket.status == TicketStatus.CHECKED_IN and ticket.checked_in_at is not None:
        _line(pdf, x, y, width, f'Checked in {when(ticket.checked_in_at, document.tz)}', size=9, colour=MUTED)
    else:
        hint = 'Show this code at the door: it lets one person in, once.'
        _line(pdf, x, top + BLOCK - PAD - 5, width, hint, size=9, colour=MUTED)
