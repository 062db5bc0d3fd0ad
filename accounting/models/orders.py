"""Sales orders (inventory flow): an order marked invoiced becomes a sales-order draft in the
accounting system, sent once (see accounting.services.orders.sales_order_mark_invoiced)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounting.exceptions import describe

from ..references import transfer_reference_field
from .base import ClientOwned, unique_per_client
from .validation import raise_if, validate_currency_code


class SalesOrder(ClientOwned):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        INVOICED = "invoiced", _("Invoiced")

    number = models.PositiveIntegerField(
        _("order number"), help_text=_("Our order number; sent as the contract number.")
    )
    customer = models.ForeignKey(
        "accounting.Customer",
        on_delete=models.PROTECT,
        related_name="sales_orders",
        verbose_name=_("customer"),
    )
    order_date = models.DateField(_("order date"), default=timezone.localdate)
    currency_code = models.CharField(
        _("currency"), max_length=3, default="NOK", help_text=_("ISO 4217, e.g. NOK, EUR.")
    )
    our_reference = models.ForeignKey(
        "accounting.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("our reference"),
        help_text=_("The employee who is our contact for this order."),
    )
    your_reference = models.CharField(_("their reference"), max_length=100, blank=True)
    header = models.CharField(
        _("header"), max_length=100, blank=True, help_text=_("Short heading of the order.")
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Sent as the first line (a text line) of the order.")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OPEN, editable=False
    )
    invoice_number = models.PositiveBigIntegerField(
        _("invoice number"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Given when the order is marked invoiced; the order number over there."),
    )
    invoiced_at = models.DateTimeField(_("invoiced at"), null=True, blank=True, editable=False)
    transfer_reference = transfer_reference_field(
        _(
            "Sent with this document to the accounting system, fixed when it was marked invoiced; "
            "every retry sends the same."
        )
    )

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["client", "-number"]
        constraints = [
            unique_per_client(
                "salesorder",
                "number",
                message=_("number is already used by another sales order of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer.name if self.customer_id else ''}".strip()

    @property
    def is_invoiced(self) -> bool:
        return self.state == self.State.INVOICED

    def clean(self) -> None:
        errors = self.cross_client_errors()
        validate_currency_code(self, "currency_code", errors)
        raise_if(errors)


class SalesOrderLine(models.Model):
    order = models.ForeignKey(
        SalesOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("sales order")
    )
    line_no = models.PositiveSmallIntegerField(_("line"), default=1)
    product = models.ForeignKey(
        "accounting.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1")
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("sales order line")
        verbose_name_plural = _("sales order lines")
        ordering = ["order", "line_no"]

    def __str__(self) -> str:
        return f"{self.line_no}: {self.description or self.product}"

    def clean(self) -> None:
        """The product must be one of the order's client (lines have no client of their own)."""
        try:
            order = self.order
        except SalesOrder.DoesNotExist:
            return
        if self.product_id and self.product.client_id != order.client_id:
            message = _("%(record)s: %(field)s refers to %(other)s of another client.") % {
                "record": order.label,
                "field": self._meta.get_field("product").verbose_name,
                "other": describe(self.product),
            }
            raise ValidationError({"product": [message]})
