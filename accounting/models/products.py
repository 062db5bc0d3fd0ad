"""Products, product groups and units (bills of materials through ProductComponent)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ClientOwned, TimeStamped, unique_per_client
from .validation import client_vat_rate_errors, raise_if, vat_rate_errors

money_kwargs = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0.00")}


class Unit(ClientOwned):
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. pcs, h, kg."))
    name = models.CharField(_("name"), max_length=100)
    external_code = models.CharField(
        _("external unit code"),
        max_length=10,
        blank=True,
        help_text=_(
            "The unit's code in the accounting system (UN/ECE, e.g. EA, HUR, KGM). Units read "
            "from there keep it; it cannot be changed afterwards."
        ),
    )

    label_field = "code"

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["client", "code"]
        constraints = [
            unique_per_client(
                "unit", "code", message=_("code is already used by another unit of this client.")
            )
        ]

    def __str__(self) -> str:
        return self.name


#: The alternative sales account of a product group that names none (PowerOffice Go's 3100,
#: sales exempt from VAT), as the Rackbeat integration sets it.
ALTERNATIVE_SALES_ACCOUNT_DEFAULT = 3100


class ProductGroup(ClientOwned):
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    sales_account = models.ForeignKey(
        "accounting.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_groups",
        verbose_name=_("sales account"),
        help_text=_(
            "The standard sales account of the group's products. Empty: 3000 for 25 % VAT, "
            "3030 for 15 %, 3100 for 0 %."
        ),
    )
    alternative_sales_account = models.ForeignKey(
        "accounting.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alternative_product_groups",
        verbose_name=_("alternative sales account"),
        help_text=_(
            "The sales account PowerOffice Go offers instead of the standard one on the group's "
            "products, e.g. for sales without VAT. Empty: 3100 when the accounting system "
            "has it."
        ),
    )

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "productgroup",
                "number",
                message=_("number is already used by another product group of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Product(ClientOwned):
    class Type(models.TextChoices):
        GOODS = "goods", _("Goods")
        SERVICE = "service", _("Service")

    code = models.CharField(_("product number"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey(
        ProductGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("product group"),
    )
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.GOODS)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        verbose_name=_("unit"),
    )
    cost_price = models.DecimalField(_("cost price"), **money_kwargs)
    sales_price = models.DecimalField(_("sales price"), **money_kwargs)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("25.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    is_package = models.BooleanField(
        _("package"), default=False, help_text=_("A bill of materials made of other products.")
    )
    components = models.ManyToManyField(
        "self",
        through="accounting.ProductComponent",
        through_fields=("package", "component"),
        symmetrical=False,
        related_name="packages",
        blank=True,
        verbose_name=_("components"),
    )
    active = models.BooleanField(_("active"), default=True)

    label_field = "code"

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["client", "code"]
        constraints = [
            unique_per_client(
                "product",
                "code",
                message=_("product number is already used by another product of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        for field in ("cost_price", "sales_price"):
            value = getattr(self, field)
            if value is not None and value < 0:
                errors.setdefault(field, []).append(
                    _("%(record)s: %(field)s %(value)s is negative.")
                    % {
                        "record": self.label,
                        "field": self._meta.get_field(field).verbose_name,
                        "value": value,
                    }
                )
        vat_rate_errors(self, "vat_rate", errors)
        if "vat_rate" not in errors:
            client_vat_rate_errors(self, "vat_rate", errors)
        raise_if(errors)


class ProductComponent(TimeStamped):
    """One line of a package's bill of materials."""

    package = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="component_lines", verbose_name=_("package")
    )
    component = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="used_in", verbose_name=_("component")
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    class Meta:
        verbose_name = _("package component")
        verbose_name_plural = _("package components")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "component"],
                name="productcomponent_unique_component",
                violation_error_message=_("This product is already a component of the package."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.component}"

    def clean(self) -> None:
        if not (self.package_id and self.component_id):
            return
        label = self.package.label
        if self.component.client_id != self.package.client_id:
            raise ValidationError(
                {
                    "component": _("%(record)s: component %(other)s belongs to another client.")
                    % {"record": label, "other": self.component.label}
                }
            )
        if self.component_id == self.package_id:
            raise ValidationError(
                {"component": _("%(record)s: a package cannot contain itself.") % {"record": label}}
            )
        if not self.package.is_package:
            raise ValidationError(
                {
                    "package": _("%(record)s: only a product marked as package has components.")
                    % {"record": label}
                }
            )
