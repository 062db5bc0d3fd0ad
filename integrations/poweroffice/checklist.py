"""The setup checklist's two PowerOffice Go steps: POS product ids and customer number series.

Read-only, through the connector's cached `Lookups` (one client per check). When PowerOffice Go
cannot be asked (no key, unreachable, rejected), the step is "unknown" and says why.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from integrations.checklist import MISSING, NOT_NEEDED, OK, UNKNOWN, Step
from integrations.errors import ConnectionMisconfigured, IntegrationError

from .lookups import Lookups
from .mapping import customer_number, number_in_series

REMOTE_ERRORS = (IntegrationError, ConnectionMisconfigured)
#: How many customers the check reads at most (a list in the detail names the first few).
CUSTOMER_LIMIT = 5000


def _lookups(connection) -> Lookups:
    from .client import PowerOfficeClient

    return Lookups(PowerOfficeClient.for_connection(connection), connection)


def _unknown(key: str, title: str, err: Exception, fix_url: str = "") -> Step:
    detail = _("Unknown: PowerOffice Go could not be asked (%(reason)s).") % {"reason": err}
    return Step(key, title, UNKNOWN, detail, fix_url)


def step_pos_products(*, client, connection) -> Step:
    """POS on: every product id set, and each one exists in PowerOffice Go."""
    from pos.models import PosSettings

    title = _("POS product ids verified in PowerOffice Go")
    pos_settings = PosSettings.objects.filter(client=client).first()
    if pos_settings is None or not pos_settings.enabled:
        return Step("pos_products", title, NOT_NEEDED, _("POS invoice sales are not switched on."))
    fix_url = reverse("admin:pos_possettings_change", args=[pos_settings.pk])
    configured = pos_settings.configured_product_ids()
    unset = [f"product_id_vat_{rate}" for rate in (0, 12, 15, 25)
             if not getattr(pos_settings, f"product_id_vat_{rate}")]  # fmt: skip
    if unset:
        labels = ", ".join(str(pos_settings._meta.get_field(n).verbose_name) for n in unset)
        detail = _("Not set: %(fields)s.") % {"fields": labels}
        return Step("pos_products", title, MISSING, detail, fix_url)
    if connection is None or not connection.pk:
        return Step("pos_products", title, MISSING, _("No PowerOffice Go connection."), fix_url)
    try:
        lookups = _lookups(connection)
        missing = [f"{label} ({pid})" for label, pid in configured.items()
                   if not lookups.product_exists(pid)]  # fmt: skip
    except REMOTE_ERRORS as err:
        return _unknown("pos_products", title, err, fix_url)
    if missing:
        detail = _("Not found in PowerOffice Go: %(missing)s.") % {"missing": ", ".join(missing)}
        return Step("pos_products", title, MISSING, detail, fix_url)
    detail = _("All %(count)d product ids exist in PowerOffice Go.") % {"count": len(configured)}
    return Step("pos_products", title, OK, detail, fix_url)


def step_customer_numbers(*, client, connection) -> Step:
    """Every customer's number (or external ledger number) lies in a customer number series."""
    from accounting.models import Customer

    title = _("Customer numbers inside PowerOffice Go's customer number series")
    fix_url = reverse("admin:accounting_customer_changelist") + f"?client__id__exact={client.pk}"
    if connection is None or not connection.pk:
        return Step("customer_numbers", title, NOT_NEEDED, _("No PowerOffice Go connection."))
    try:
        series = _lookups(connection).customer_series()
    except REMOTE_ERRORS as err:
        return _unknown("customer_numbers", title, err, fix_url)
    customers = Customer.objects.filter(client=client).order_by("number")[:CUSTOMER_LIMIT]
    outside = [customer_number(c) for c in customers.only("number", "external_ledger_number")]
    outside = [n for n in outside if not number_in_series(n, series)]
    ranges = ", ".join(f"{low}–{high}" for low, high in series) or _("none")
    if outside:
        detail = ngettext(
            "%(count)d customer number outside the series (%(ranges)s): %(numbers)s. "
            "Renumber it, set an external ledger number or add a series in PowerOffice Go.",
            "%(count)d customer numbers outside the series (%(ranges)s), e.g. %(numbers)s. "
            "Renumber them, set an external ledger number or add a series in PowerOffice Go.",
            len(outside),
        ) % {"count": len(outside), "ranges": ranges,
             "numbers": ", ".join(str(n) for n in outside[:5])}  # fmt: skip
        return Step("customer_numbers", title, MISSING, detail, fix_url)
    detail = _("All customer numbers lie in %(ranges)s.") % {"ranges": ranges}
    return Step("customer_numbers", title, OK, detail, fix_url)
