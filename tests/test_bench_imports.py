"""Every benchmark under bench/ imports: they run by hand, not in the suite, so a name moved from one benchmark to
another (as `hammer` once did) would otherwise go unnoticed until someone runs `make bench-instances`."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / 'bench'
MODULES = sorted(path.stem for path in BENCH.glob('*.py') if path.stem != '__init__')


def test_every_benchmark_is_found() -> None:
    assert {'all', 'speed', 'instances', 'checkin', 'seating'} <= set(MODULES)


@pytest.mark.parametrize('name', MODULES)
def test_the_benchmark_imports(name: str) -> None:
    module = importlib.import_module(f'bench.{name}')
    assert module.__doc__, f'bench/{name}.py says what it measures in its docstring'
