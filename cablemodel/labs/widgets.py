"""Sliders for exploring a lab (ipywidgets, the ``labs`` extra), inert when run headless."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

__all__ = ["slider", "interactive_frontend", "HEADLESS_ENV"]

#: Environment variable that makes :func:`slider` inert when set to ``1`` (e.g. for
#: ``jupyter nbconvert --execute``); runs under pytest (nbmake) are detected without it.
HEADLESS_ENV = "CABLEMODEL_LABS_HEADLESS"


def interactive_frontend() -> bool:
    """Whether sliders can be shown: running in a Jupyter kernel (not a script), not under
    pytest/nbmake (``PYTEST_CURRENT_TEST`` in the environment) and ``CABLEMODEL_LABS_HEADLESS``
    not set to ``1``.

    Example
    -------
    >>> interactive_frontend()
    False
    """
    if os.environ.get(HEADLESS_ENV, "") == "1" or "PYTEST_CURRENT_TEST" in os.environ:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def slider(function: Callable, **controls):
    """Call ``function`` with the values of one slider per keyword, again whenever one moves
    (on release, so that a simulation runs once per change): ``ipywidgets.interact`` with
    ``(low, high, step)`` or ``(low, high, step, start)`` tuples as sliders (integers: an
    integer slider); any other value (a list: a drop-down; a widget) goes to ``interact`` as is.

    Inert, returning ``None`` without calling ``function``, when no frontend can show it (see
    :func:`interactive_frontend`) or ipywidgets is not installed (``pip install
    cablemodel[labs]``); else returns the ``interact`` widget.

    Example
    -------
    >>> slider(print, x=(0.0, 1.0, 0.1)) is None  # headless: nothing shown, nothing run
    True
    """
    for key, spec in controls.items():
        if isinstance(spec, tuple) and len(spec) not in (3, 4):
            raise ValueError(f"slider {key!r}: give (low, high, step) or (low, high, step, start),"
                             f" got {spec!r}")
    if not interactive_frontend():
        return None
    try:
        import ipywidgets
    except ImportError:
        return None
    widgets = {key: _widget(ipywidgets, key, spec) if isinstance(spec, tuple) else spec
               for key, spec in controls.items()}
    return ipywidgets.interact(function, **widgets)


def _widget(ipywidgets, key: str, spec: tuple):
    low, high, step = spec[:3]
    start = spec[3] if len(spec) == 4 else low + step * round((high - low) / step / 2)
    integer = all(isinstance(x, int) and not isinstance(x, bool) for x in (low, high, step, start))
    kind = ipywidgets.IntSlider if integer else ipywidgets.FloatSlider
    if not low <= start <= high or not step > 0:
        raise ValueError(f"slider {key!r}: need low <= start <= high and step > 0, got {spec!r}")
    return kind(value=start, min=low, max=high, step=step, description=key,
                continuous_update=False)
