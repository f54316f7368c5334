"""Names of a package imported on first use (PEP 562 module ``__getattr__``).

A package's ``__init__`` that imports its modules eagerly makes every import of one of its
modules pay for all of them: a Dask worker importing ``valuation.batch.remote`` paid for the run
history (SQLAlchemy) through ``valuation.batch``, every appraisal for the library store through
``valuation.library`` (issue 20 step 6; docs/DESIGN.md §4). The package keeps its public names;
each module is imported when one of its names is first read.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, where: Mapping[str, Sequence[str]]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package`` for the names in ``where``.

    Parameters
    ----------
    package : str
        The ``__name__`` of the package (or module) whose names these are.
    where : mapping
        Module, relative as in its import lines (``".io"``) → the names it provides.

    Returns
    -------
    callable
        ``__getattr__(name)``: imports the module of ``name``, stores the value in the package
        (read once) and returns it; ``AttributeError`` for any other name, which is also how
        ``from package import submodule`` goes on to import a submodule.
    """
    home = {name: module for module, names in where.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        home_module = sys.modules[package]
        # relative to the package (``__package__``: the package itself, or a module's parent)
        value = getattr(importlib.import_module(module, home_module.__package__), name)
        setattr(home_module, name, value)
        return value

    return __getattr__
