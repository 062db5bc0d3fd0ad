"""Shared model bases: every record belongs to exactly one client."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import UniqueConstraint
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounting.exceptions import describe

from .validation import integer_field_errors, shown, text_field_errors


class PlainText(models.Model):
    """Text fields refuse control characters (NUL, escape, ...) in full_clean(), on every path:
    admin forms, imports and the API all validate through the model."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = self._named(error.update_error_dict(errors))
        skip = set(exclude or ()) | set(errors)
        text_field_errors(self, skip, errors)
        integer_field_errors(self, skip, errors)
        if errors:
            raise ValidationError(errors)

    def _named(self, errors: dict) -> dict:
        """Django's field messages ("Ensure that there are no more than 14 digits in total.")
        with the record, the field and the value refused in front."""
        named = {}
        for name, messages in errors.items():
            field = self._meta.get_field(name)
            value = shown(getattr(self, field.attname, ""))
            named[name] = [
                ValidationError(
                    "%(record)s: %(field)s '%(value)s': %(message)s",
                    params={
                        "record": describe(self),
                        "field": field.verbose_name,
                        "value": value,
                        "message": message,
                    },
                )
                for message in ValidationError(messages).messages
            ]
        return named


class TimeStamped(PlainText):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ClientOwned(TimeStamped):
    """A record of one client's books. Numbers are unique per client (see subclasses).

    clean() refuses references to records of another client; validate_constraints() names the
    record and the field when a per-client unique number is taken.
    """

    client = models.ForeignKey(
        "accounting.Client", on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )

    #: The field whose value identifies the record to users ("number", "code"); see `label`.
    label_field = "number"

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        """Short name in messages: 'Customer 10001'; a new record without number: 'New customer'."""
        value = getattr(self, self.label_field, None) if self.label_field else None
        name = capfirst(self._meta.verbose_name)
        if value not in (None, ""):
            return f"{name} {value}"
        if self.pk:
            return f"{name} (id {self.pk})"
        return str(_("New %(record)s") % {"record": self._meta.verbose_name})

    def clean(self) -> None:
        super().clean()
        errors = self.cross_client_errors()
        if errors:
            raise ValidationError(errors)

    def cross_client_errors(self) -> dict[str, list[str]]:
        """Foreign keys to client-owned records of another client, keyed by field name."""
        errors: dict[str, list[str]] = {}
        if not self.client_id:
            return errors
        for field in self._meta.concrete_fields:
            if (
                not field.is_relation
                or field.name == "client"
                or getattr(self, field.attname) is None
            ):
                continue
            if not issubclass(field.related_model, ClientOwned):
                continue
            related = getattr(self, field.name)
            if related.client_id != self.client_id:
                message = _("%(record)s: %(field)s refers to %(other)s of another client.") % {
                    "record": self.label,
                    "field": field.verbose_name,
                    "other": describe(related),
                }
                errors[field.name] = [message]
        return errors

    def validate_constraints(self, exclude=None) -> None:
        """Per-client unique numbers fail on their own field with the record named."""
        errors: dict[str, list[str]] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude)
                except ValidationError as error:
                    key = self._constraint_field(constraint)
                    for message in error.messages:
                        errors.setdefault(key, []).append(f"{self.label}: {message}")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _constraint_field(constraint) -> str:
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            return constraint.fields[-1]
        return "__all__"


def unique_per_client(model: str, *fields: str, message) -> UniqueConstraint:
    """UniqueConstraint on (client, *fields) named after the model, with a readable message."""
    return UniqueConstraint(
        fields=["client", *fields],
        name=f"{model}_unique_{'_'.join(fields)}_per_client",
        violation_error_message=message,
    )
