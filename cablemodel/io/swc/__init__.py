"""SWC files: :func:`read_swc` (parse, check and repair, soma, build; with a :class:`LoadReport`)
and :func:`write_swc`."""

from .errors import SWCError
from .reader import REPAIRS, LoadReport, read_swc
from .write import SWC_TYPES, write_swc

__all__ = ["read_swc", "write_swc", "LoadReport", "SWCError", "REPAIRS", "SWC_TYPES"]
