"""Public names imported on first use (PEP 562), so that ``import cablemodel`` costs almost
nothing and a script pays only for what it uses (Brian2 itself, with Matplotlib, comes with the
first name that needs it)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence


def lazy_exports(package: str, exports: Mapping[str, Sequence[str]]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A package's module ``__getattr__`` and ``__dir__``: ``exports`` maps a module (relative to
    ``package``, e.g. ``".cell"``) to the names it provides. A name is imported from its module
    when first asked for and then kept in the package; a submodule's name imports it.

    Example
    -------
    >>> getattr_, dir_ = lazy_exports("cablemodel", {".units": ["quantity"]})
    >>> getattr_("quantity").__module__, "quantity" in dir_()
    ('cablemodel.units', True)
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module, package), name)
        elif not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
