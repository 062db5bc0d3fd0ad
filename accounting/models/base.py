"""Shared model bases: every record belongs to exactly one client."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ClientOwned(TimeStamped):
    """A record of one client's books. Numbers are unique per client (see subclasses)."""

    client = models.ForeignKey(
        "accounting.Client", on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )

    class Meta:
        abstract = True
