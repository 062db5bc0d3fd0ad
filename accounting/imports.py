"""What every CSV/XLSX import and export of the back office shares (django-import-export).

- Files as Norwegian Excel writes them: CSV separated by semicolons or commas, in UTF-8 with or
  without BOM or in Windows-1252.
- Every refused cell names its column and value; a key (client + number) given twice in one file
  is refused naming both rows; booleans are yes/no, ja/nei, true/false or 1/0, nothing else.
- The import page never shows a traceback.
- Exports escape cells that a spreadsheet would run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import re

import tablib
from django.core.exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from django.utils.translation import gettext as _
from import_export import widgets
from import_export.formats import base_formats

from accounting.models.validation import shown

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
CSV_DELIMITERS = ";,\t"
#: OWASP: a cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
TRUE_WORDS = {"yes", "ja", "true", "1"}
FALSE_WORDS = {"no", "nei", "false", "0"}
# What reading one cell of an import row can raise; the row's message names column and value.
UNREADABLE_CELL = (
    ValueError, ArithmeticError, TypeError, ObjectDoesNotExist, MultipleObjectsReturned,
)  # fmt: skip


def csv_text(data: bytes | str) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else Windows-1252 (which decodes any byte
    except five unused ones; those files are refused as unreadable)."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("The file is neither UTF-8 nor Windows-1252 text."))


def csv_delimiter(text: str) -> str:
    """';' (Norwegian Excel), ',' or tab, judged from the header line."""
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


class SpreadsheetCSV(base_formats.CSV):
    """CSV import that reads the bytes itself: encoding and delimiter are detected."""

    def is_binary(self) -> bool:
        return True  # the admin hands over bytes, not text decoded as UTF-8

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        text = csv_text(in_stream)
        return tablib.import_set(text, format="csv", delimiter=csv_delimiter(text))


def formula_escaped(value):
    """'=HYPERLINK(…)' → "'=HYPERLINK(…)"; numbers such as -10.00 stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if not PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def dataset_escaped(dataset: tablib.Dataset) -> tablib.Dataset:
    escaped = tablib.Dataset(headers=dataset.headers, title=dataset.title)
    for row in dataset:
        escaped.append([formula_escaped(cell) for cell in row])
    return escaped


class EscapedCSV(base_formats.CSV):
    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_escaped(dataset), **kwargs)


class EscapedXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset_escaped(dataset), **kwargs)


IMPORT_FORMATS = [SpreadsheetCSV, base_formats.XLSX]
EXPORT_FORMATS = [EscapedCSV, EscapedXLSX]


class StrictBooleanWidget(widgets.BooleanWidget):
    """yes/no, ja/nei, true/false, 1/0 (any case); empty keeps the default; else refused."""

    def clean(self, value, row=None, **kwargs):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(
            _("'%(value)s' is not yes/no, ja/nei, true/false or 1/0.") % {"value": shown(value)}
        )


class ExplainedRowsMixin:
    """For ModelResources: errors name column and value, duplicate keys name both rows,
    booleans are strict, and no traceback reaches the page."""

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if f.get_internal_type() == "BooleanField":
            return StrictBooleanWidget
        return super().widget_from_django_field(f, default=default)

    def before_import(self, dataset, **kwargs):
        self._rows_by_key: dict[tuple, int] = {}
        return super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        self._refuse_duplicate_key(row, kwargs.get("row_number"))
        return super().before_import_row(row, **kwargs)

    def _refuse_duplicate_key(self, row, row_number) -> None:
        columns = [self.fields[name].column_name for name in self._meta.import_id_fields]
        key = tuple(str(row.get(column, "")).strip() for column in columns)
        first = self._rows_by_key.setdefault(key, row_number)
        if first != row_number:
            raise ValidationError(
                {
                    columns[-1]: _(
                        "Rows %(first)s and %(second)s both hold %(key)s: a record may appear "
                        "once per file."
                    )
                    % {"first": first, "second": row_number, "key": " / ".join(key)}
                }
            )

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        try:
            return super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)
        except UNREADABLE_CELL as error:
            raise ValueError(cell_message(field, row, error)) from error

    def get_instance(self, instance_loader, row):
        for name in self._meta.import_id_fields:  # name the key column that cannot be read
            field = self.fields[name]
            try:
                field.clean(row)
            except UNREADABLE_CELL as error:
                raise ValidationError(
                    {field.column_name: cell_message(field, row, error)}
                ) from error
            except KeyError:
                continue  # a missing key column is reported by import-export itself
        return super().get_instance(instance_loader, row)

    def import_data(self, dataset, **kwargs):
        result = super().import_data(dataset, **kwargs)
        for error in result.base_errors:  # shown on the page: the message, never a traceback
            error.traceback = ""
        for _number, errors in result.row_errors():
            for error in errors:
                error.traceback = ""
        return result


def cell_message(field, row, error: Exception) -> str:
    value = row.get(field.column_name, "")
    if isinstance(error, ObjectDoesNotExist | MultipleObjectsReturned):
        model = getattr(field.widget, "model", None)
        what = model._meta.verbose_name if model is not None else field.column_name
        reason = _("there is no %(record)s '%(value)s' for this client.") % {
            "record": what,
            "value": shown(value),
        }
    elif isinstance(error, ArithmeticError):
        reason = _("'%(value)s' is not a number.") % {"value": shown(value)}
    else:
        reason = str(error)
    return _("Column '%(column)s', value '%(value)s': %(reason)s") % {
        "column": field.column_name,
        "value": shown(value),
        "reason": reason,
    }
