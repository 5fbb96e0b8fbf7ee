"""A ticket's QR code as a PNG: dark on white, error correction M or better, a quiet zone around it."""

from __future__ import annotations

import base64
import io

import segno


def png(code: str, *, scale: int = 10, border: int = 4) -> bytes:
    """The PNG of a QR code carrying `code`; `scale` pixels a module, `border` modules of quiet zone."""
    # boost_error: segno raises the level above M whenever the data still fits the same version.
    symbol = segno.make_qr(code, error='m', boost_error=True)
    buffer = io.BytesIO()
    symbol.save(buffer, kind='png', scale=scale, border=border, dark='#000000', light='#ffffff')
    return buffer.getvalue()


def data_uri(code: str, *, scale: int = 10) -> str:
    """The same PNG as a `data:image/png;base64,...` URI, for an <img> that needs no request of its own."""
    return 'data:image/png;base64,' + base64.b64encode(png(code, scale=scale)).decode('ascii')
