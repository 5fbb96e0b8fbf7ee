"""Images for the poster tests, made with Pillow: real files of every accepted format, and the bad ones."""

from __future__ import annotations

import io

from PIL import Image

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 160, 20)


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def halves(
    size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int], *, across: bool
) -> Image.Image:
    """`first` on the top (or left, `across`) half and `second` on the other."""
    image = Image.new('RGB', size, second)
    width, height = size
    image.paste(first, (0, 0, width // 2, height) if across else (0, 0, width, height // 2))
    return image


def jpeg(size: tuple[int, int] = (800, 1200), colour: tuple[int, int, int] = RED, **options: object) -> bytes:
    return encoded(Image.new('RGB', size, colour), 'JPEG', quality=90, **options)


def png(size: tuple[int, int] = (600, 900), colour: tuple[int, int, int] = BLUE) -> bytes:
    return encoded(Image.new('RGB', size, colour), 'PNG')


def webp(size: tuple[int, int] = (400, 600), colour: tuple[int, int, int] = GREEN) -> bytes:
    return encoded(Image.new('RGB', size, colour), 'WEBP')


def transparent_png(size: tuple[int, int] = (400, 600)) -> bytes:
    """Fully transparent but for a blue left half."""
    image = Image.new('RGBA', size, (0, 0, 0, 0))
    image.paste((*BLUE, 255), (0, 0, size[0] // 2, size[1]))
    return encoded(image, 'PNG')


def animated_gif(size: tuple[int, int] = (300, 450)) -> bytes:
    """Two frames: red, then blue."""
    frames = [Image.new('RGB', size, RED), Image.new('RGB', size, BLUE)]
    return encoded(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)


def rotated_jpeg() -> bytes:
    """Stored 600 × 400, red above blue, with EXIF orientation 6 (turn 90° clockwise to view) and a camera make
    and GPS block that must not survive: seen upright it is 400 × 600, blue on the left and red on the right."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = 'SpyCam'  # Make
    exif[0x8825] = {1: 'N', 2: (51.0, 30.0, 0.0)}  # GPSInfo
    return encoded(halves((600, 400), RED, BLUE, across=False), 'JPEG', quality=95, exif=exif)


def bomb_png(side: int) -> bytes:
    """A tiny file that would decode to side × side pixels."""
    return encoded(Image.new('1', (side, side)), 'PNG', optimize=True)


def bmp(size: tuple[int, int] = (300, 450)) -> bytes:
    return encoded(Image.new('RGB', size, RED), 'BMP')


def colour_at(data: bytes, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) as fractions of the width and height."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert('RGB')
        pixel = rgb.getpixel((int(x * (rgb.width - 1)), int(y * (rgb.height - 1))))
    assert isinstance(pixel, tuple)
    return (int(pixel[0]), int(pixel[1]), int(pixel[2]))


def near(colour: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))
