"""What every sandbox's management command shares: where its books are kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from django.utils.translation import gettext as _

from .persistence import PersistedSandbox, state_file


def state_file_arguments(parser) -> None:
    """--state-file and --no-state-file."""
    parser.add_argument(
        "--state-file", default=None,
        help=_("JSON file the sandbox keeps its books in across restarts (default: a "
               "sandbox-SYSTEM.json file beside the database)."),
    )  # fmt: skip
    parser.add_argument(
        "--no-state-file", action="store_true",
        help=_("Keep the books in memory only: start empty, forget them when stopped."),
    )


def sandbox_persisted(app, *, system: str, persistence: ModuleType, options: dict,
                      write: Callable[[str], None]):  # fmt: skip
    """The sandbox app keeping its books in its state file (as the options say), and a line
    saying where; the app itself with --no-state-file."""
    if options["no_state_file"]:
        return app
    path = options["state_file"] or state_file(system)
    app = PersistedSandbox(app, path, dump=persistence.dump, load=persistence.load)
    message = (_("Books kept in %(path)s (loaded from it).") if app.loaded
               else _("Books kept in %(path)s (a new file)."))  # fmt: skip
    write(message % {"path": path})
    return app
