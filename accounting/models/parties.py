"""Who the client deals with: customers and their contact persons, suppliers, employees."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ClientOwned, unique_per_client
from .clients import OrganizationNumberField
from .validation import org_number_errors, raise_if, validate_country_code, validate_currency_code

percent_validators = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Address(models.Model):
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country_code = models.CharField(
        _("country code"),
        max_length=2,
        default="NO",
        help_text=_("ISO 3166-1 alpha-2, e.g. NO, SE, DK."),
    )

    class Meta:
        abstract = True


class Customer(Address, ClientOwned):
    class DeliveryMethod(models.TextChoices):
        PRINT = "print", _("Print")
        EMAIL = "email", _("E-mail")
        EHF = "ehf", _("EHF")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        POTENTIAL = "potential", _("Potential")
        INACTIVE = "inactive", _("Inactive")

    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    organization_number = OrganizationNumberField(
        _("organization number"),
        max_length=30,
        blank=True,
        help_text=_("Organization or VAT number; required for EHF delivery."),
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    invoice_email = models.EmailField(_("invoice e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    invoice_delivery_method = models.CharField(
        _("invoice delivery method"),
        max_length=10,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.PRINT,
    )
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=percent_validators,
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    external_ledger_number = models.PositiveIntegerField(
        _("external ledger number"),
        null=True,
        blank=True,
        help_text=_(
            "Customer ledger number in the accounting system, if it differs from the number."
        ),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "customer",
                "number",
                message=_("number is already used by another customer of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        validate_country_code(self, "country_code", errors)
        org_number_errors(self, "organization_number", errors, norwegian=self.country_code == "NO")
        # Accounting systems deliver anything but print only to a registered organization
        # (PowerOffice Go refuses the customer otherwise): say so at save, not in the sync log.
        if (self.invoice_delivery_method != self.DeliveryMethod.PRINT
                and not self.organization_number.strip()):
            errors.setdefault("organization_number", []).append(
                _("%(record)s: organization number is required for %(method)s delivery; add "
                  "it or choose print.")
                % {"record": self.label, "method": self.get_invoice_delivery_method_display()}
            )
        if self.invoice_delivery_method == self.DeliveryMethod.EMAIL and not (
            self.invoice_email or self.email
        ):
            errors.setdefault("invoice_email", []).append(
                _("%(record)s: invoice e-mail is required for e-mail delivery.")
                % {"record": self.label}
            )
        raise_if(errors)


class ContactPerson(ClientOwned):
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_persons",
        verbose_name=_("customer"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    label_field = None

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["customer", "last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def label(self) -> str:
        return _("Contact person %(name)s") % {"name": str(self)}


class SupplierGroup(ClientOwned):
    """A named group of suppliers (initial sync files suppliers under "PowerOffice")."""

    name = models.CharField(_("name"), max_length=100)

    label_field = "name"

    class Meta:
        verbose_name = _("supplier group")
        verbose_name_plural = _("supplier groups")
        ordering = ["client", "name"]
        constraints = [
            unique_per_client(
                "suppliergroup",
                "name",
                message=_("name is already used by another supplier group of this client."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Supplier(Address, ClientOwned):
    number = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    organization_number = OrganizationNumberField(
        _("organization number"),
        max_length=30,
        blank=True,
        help_text=_(
            "Only suppliers with an organization number are transferred to the accounting "
            "system. Suppliers are only created there, never updated: a supplier that already "
            "exists there must be changed in both systems by hand."
        ),
    )
    group = models.ForeignKey(
        SupplierGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suppliers",
        verbose_name=_("supplier group"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    currency_code = models.CharField(
        _("currency"), max_length=3, default="NOK", help_text=_("ISO 4217, e.g. NOK, EUR.")
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "supplier",
                "number",
                message=_("number is already used by another supplier of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        errors = self.cross_client_errors()
        validate_country_code(self, "country_code", errors)
        org_number_errors(self, "organization_number", errors, norwegian=self.country_code == "NO")
        validate_currency_code(self, "currency_code", errors)
        raise_if(errors)


class Employee(ClientOwned):
    number = models.PositiveIntegerField(_("number"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    department = models.ForeignKey(
        "accounting.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("department"),
    )
    external_ledger_number = models.PositiveIntegerField(
        _("external ledger number"),
        null=True,
        blank=True,
        help_text=_(
            "Employee ledger number in the accounting system, if it differs from the number."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "employee",
                "number",
                message=_("number is already used by another employee of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
