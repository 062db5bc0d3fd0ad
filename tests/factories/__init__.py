"""factory_boy factories shared by every test package. Import from tests.factories."""

from .accounting import *  # noqa: F403
from .accounting import __all__ as _accounting_all

__all__ = list(_accounting_all)
