"""API tokens (one client each, stored hashed) and stored responses of idempotent writes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "lb_"


class ApiToken(models.Model):
    """A bearer token of one client's source system. Only a SHA-256 hash of the secret is stored;
    the full token is shown once, when it is created."""

    client = models.ForeignKey(
        "accounting.Client",
        on_delete=models.PROTECT,
        related_name="api_tokens",
        verbose_name=_("client"),
        help_text=_("The token reads and writes this client's data only."),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses the token, e.g. 'Webshop invoicing'.")
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=20,
        unique=True,
        editable=False,
        help_text=_("The start of the token, to recognise it; the rest is never shown again."),
    )
    secret_hash = models.CharField(_("secret hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["client", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(models.Model):
    """The first successful response to a write sent with an Idempotency-Key header."""

    client = models.ForeignKey(
        "accounting.Client",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("client"),
    )
    token = models.ForeignKey(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("API token"),
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        help_text=_(
            "SHA-256 of method, path and body: the same key with another request is refused."
        ),
    )
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.TextField(_("response body"), blank=True)
    response_content_type = models.CharField(_("response content type"), max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_one_per_key")
        ]

    def __str__(self) -> str:
        return self.key


class RequestCount(models.Model):
    """Requests counted per key ("token:12", "bad-token:203.0.113.9") and minute, shared by
    every web process through the database (see api/ratelimit.py)."""

    key = models.CharField(_("key"), max_length=80)
    window = models.BigIntegerField(_("window"), help_text=_("Minutes since the epoch."))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("API request count")
        verbose_name_plural = _("API request counts")
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="api_requestcount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
