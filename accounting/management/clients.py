"""Command-line arguments that name a client."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounting.models import Client
from accounting.models.validation import CONTROL_CHARACTERS, shown
from accounting.selectors import clients_matching

CLIENT_ARGUMENT_HELP = "Client id, organization number or exact name."


def client_argument(value: str) -> Client:
    """The one client `value` names, or a CommandError saying why not."""
    if CONTROL_CHARACTERS.search(value) or len(value) > 200:
        raise CommandError(
            _("client “%(value)s” is not an id, organization number or name.")
            % {"value": shown(value)}
        )
    matches = clients_matching(reference=value)
    if len(matches) != 1:
        raise CommandError(
            _("No single client has the id, organization number or name “%(value)s”.")
            % {"value": shown(value)}
        )
    return matches[0]
