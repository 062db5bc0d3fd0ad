"""Command-line arguments that name a client."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounting.models import Client
from accounting.selectors import clients_matching

CLIENT_ARGUMENT_HELP = "Client id, organization number or exact name."


def client_argument(value: str) -> Client:
    """The one client `value` names, or a CommandError saying why not."""
    matches = clients_matching(reference=value)
    if len(matches) != 1:
        raise CommandError(
            _("No single client has the id, organization number or name “%(value)s”.")
            % {"value": value}
        )
    return matches[0]
