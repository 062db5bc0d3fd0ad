"""A live probe of PowerOffice Go (issue 21): answer with the real API what its public
documentation leaves open, and say which of the sandbox's behaviours matches.

`manage.py poweroffice_probe --client <org no>` runs `poweroffice_probe_run()` against the
client's PowerOffice Go connection (normally in `demo` mode) and writes the report
(`ProbeReport.to_json()` / `.to_text()`). The script is fixed; every step is a question with a
stable id, in this order:

    auth                      token and ClientIntegrationInformation      stop on an error
    lock_date                 GET /LockDateSettings                       stop if today is locked
    vat_codes                 GET /VatCodes (code PROBE_VAT_CODE)         stop if absent
    gl_accounts               GET /GeneralLedgerAccounts (the revenue)    stop if absent
    customer_series           GET /SubLedgerNumberSeries: holds PROBE_CUSTOMER_NUMBERS?   (stop)
    customer_create           POST /Customers, a throw-away customer (reserved range)     (stop)
    project_create            POST /Projects, a throw-away project PROBE_PROJECT_PREFIX<run>
    invoice_post              POST /Vouchers/OutgoingInvoiceJournals          → write_answer
    credit_note_post          the same with negative amounts (credits the invoice)
    duplicate_post            the invoice again, same ExternalImportReference → duplicates
    read_voucher              GET /Vouchers/OutgoingInvoiceJournals/{id} (invoice and credit note)
    read_outgoing_invoices    GET /OutgoingInvoices?invoiceNos=…
    read_customer_ledger      GET /Customerledger/Statement (signs, currency fields)
    read_account_transactions GET /AccountTransactions?voucherNos=…
    find_by_reference         what the exporter does after an unknown outcome
    pdf_upload                PUT /VoucherDocumentation, then GET /VoucherDocumentation
    headers                   Retry-After on 429, X-Pagination on lists (every exchange seen)
    cleanup_reverse           POST /Vouchers/Reverse/{id} for every voucher the probe posted
    cleanup_project           DELETE /Projects/{id}
    cleanup_customer          DELETE /Customers/{id}

Safety: every request is checked against contract.json before it is sent (`ProbeClient`); a
request the contract refuses is not sent and stops the probe. The probe stops at the first
answer that makes going on unsafe or pointless: authentication fails, the books are locked,
the first invoice post is refused, or a post's outcome is unknown and no look-up finds it.
After a stop nothing more is posted or read; the clean-up of what the probe knows it created
still runs, and what could not be removed is listed under `left_behind`.

Throw-away records use reserved numbers (constants below, documented in the README): customer
numbers PROBE_CUSTOMER_NUMBERS (the top of PowerOffice Go's default customer series), invoice
numbers from PROBE_INVOICE_NUMBERS (two per run: invoice and credit note) and project codes
PROBE_PROJECT_PREFIX + run number. Nothing of a real client's own data is read back or changed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounting.money import money_display
from integrations import errors
from integrations.http import excerpt, json_or_none, redact

from . import contract
from .client import PowerOfficeClient
from .types import PostedVoucher

# -- the reserved ranges ----------------------------------------------------------------------
# Customer numbers the probe may use: the top of PowerOffice Go's default customer series
# (10000-19999). The probe takes the first number of the range no customer has yet.
PROBE_CUSTOMER_NUMBERS = (19900, 19999)
# Invoice numbers (InvoiceNo, ImportedVoucherNo): run n uses base + 2n (invoice) and
# base + 2n + 1 (credit note). The run number comes from the clock, so runs never collide.
PROBE_INVOICE_NUMBERS = (990_000_000, 999_999_999)
PROBE_PROJECT_PREFIX = "LBPROBE"
PROBE_REFERENCE_PREFIX = "ledgerbridge-probe"
PROBE_REVENUE_ACCOUNT = 3000
PROBE_VAT_CODE = "3"  # output VAT, standard rate
PROBE_AMOUNT = Decimal("1250.00")  # incl. VAT, NOK
PROBE_PDF = b"%PDF-1.4\n% Ledgerbridge probe\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Response headers worth reporting (values are redacted like everything else).
REPORTED_HEADERS = (
    "content-type",
    "location",
    "retry-after",
    "x-pagination",
    "www-authenticate",
    "request-context",
    "x-request-id",
    "x-correlation-id",
    "apim-request-id",
)
REFERENCE_FIELDS = ("externalimportreference", "invoiceno")
# Questions whose failure leaves nothing safe or useful to do next.
REQUIRED = frozenset(
    {
        "auth",
        "lock_date",
        "vat_codes",
        "gl_accounts",
        "customer_series",
        "customer_create",
        "invoice_post",
    }
)


class ProbeStop(Exception):
    """Going on would be unsafe or pointless; the message says why."""


# -- what was sent and answered -----------------------------------------------------------------
@dataclass
class Exchange:
    """One request the probe sent and what came back, redacted."""

    method: str
    path: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    request_body: str = ""
    # For a 2xx: "full" (JSON with an Id), "no_id" (JSON without one), "empty", "not_json".
    answer_shape: str = ""
    error: str = ""

    def line(self) -> str:
        status = self.status if self.status is not None else self.error or "no answer"
        kind = self.headers.get("content-type", "")
        text = f"{self.method} {self.path} -> {status}"
        text += f" [{kind}]" if kind else ""
        return text + (f" {self.body}" if self.body else "")


def answer_shape(response: requests.Response) -> str:
    """How a 2xx answer to a create looks (the sandbox's `write_answer` names)."""
    if not response.content:
        return "empty"
    try:
        data = response.json()
    except ValueError:
        return "not_json"
    if isinstance(data, dict) and any(k.lower() == "id" and v not in (None, "") for k, v in
                                      data.items()):  # fmt: skip
        return "full"
    return "no_id"


class ProbeClient(PowerOfficeClient):
    """The PowerOffice client with two additions for the probe: every request is checked
    against contract.json before it leaves (a `ContractViolation` stops it unsent), and every
    exchange is kept, redacted, in `exchanges`. Also the few operations only the probe uses."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exchanges: list[Exchange] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        check_request(request)
        path = redact(contract.api_path(request.url or ""), self.secrets())
        query = (request.url or "").partition("?")[2]
        path += f"?{redact(query, self.secrets())}" if query else ""
        sent = _request_text(request, self.secrets())
        try:
            response = super().send(request, **kwargs)
        except requests.RequestException as err:
            self.exchanges.append(
                Exchange(request.method or "", path, None, request_body=sent,
                         error=type(err).__name__)
            )  # fmt: skip
            raise
        secrets = self.secrets()
        headers = {
            name.lower(): redact(value, secrets)
            for name, value in response.headers.items()
            if name.lower() in REPORTED_HEADERS
        }
        body = "" if contract.is_token_url(request.url or "") else _response_text(response)
        self.exchanges.append(
            Exchange(
                method=request.method or "",
                path=path,
                status=response.status_code,
                headers=headers,
                body=excerpt(body, secrets, limit=400),
                request_body=sent,
                answer_shape=answer_shape(response) if response.ok else "",
            )
        )
        return response

    # -- operations in the contract that the product does not use ------------------------------
    def list_outgoing_invoices(self, *, invoice_numbers: Iterable[str]) -> list[dict[str, Any]]:
        return list(self._list("/OutgoingInvoices", {"invoiceNos": list(invoice_numbers)}))

    def reverse_voucher(self, voucher_id: str) -> Any:
        return json_or_none(self.call("POST", f"/Vouchers/Reverse/{voucher_id}"))

    def delete_customer(self, customer_id: int) -> None:
        self.call("DELETE", f"/Customers/{customer_id}")

    def delete_project(self, project_id: int) -> None:
        self.call("DELETE", f"/Projects/{project_id}")


def check_request(request: requests.PreparedRequest) -> None:
    """Raise ContractViolation when a request does not match the contract (or the token
    request does not match the contract's auth section)."""
    body = request.body.encode() if isinstance(request.body, str) else request.body
    if contract.is_token_url(request.url or ""):
        problems = contract.token_request_errors(request.method or "", dict(request.headers), body)
        if problems:
            raise contract.ContractViolation("POST /OAuth/Token", problems)
        return
    contract.validate_http_request(
        request.method or "", request.url or "", request.headers.get("Content-Type"), body
    )


def _request_text(request: requests.PreparedRequest, secrets: Iterable[str]) -> str:
    kind = request.headers.get("Content-Type", "")
    if "multipart" in kind:
        return f"<multipart, {len(request.body or b'')} bytes>"
    body = request.body or b""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return excerpt(text, secrets, limit=400)


def _response_text(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type", "")
    if kind and not any(t in kind for t in ("json", "text", "xml", "html")):
        return f"<{len(response.content)} bytes, {kind}>"
    return response.text


# -- the report ---------------------------------------------------------------------------------
@dataclass
class Answer:
    """One question of the script and what PowerOffice Go answered to it."""

    id: str
    question: str
    outcome: str = "answered"  # answered | refused | error | unknown | not_sent | skipped
    finding: str = ""
    matches: dict[str, str] = field(default_factory=dict)  # sandbox switch -> behaviour
    facts: dict[str, Any] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def statuses(self) -> str:
        return ",".join(str(e.status if e.status is not None else "-") for e in self.exchanges)


@dataclass
class ProbeReport:
    mode: str
    api_url: str
    client: str
    run_number: int
    started_at: str
    finished_at: str = ""
    stopped_at: str = ""  # the question id after which the script stopped; "" = ran through
    stop_reason: str = ""
    answers: list[Answer] = field(default_factory=list)
    created: dict[str, Any] = field(default_factory=dict)
    left_behind: list[str] = field(default_factory=list)

    def answer(self, question_id: str) -> Answer | None:
        return next((a for a in self.answers if a.id == question_id), None)

    @property
    def behaviour(self) -> dict[str, str]:
        """The sandbox switches the answers decide: {"duplicates": ..., "write_answer": ...}."""
        found: dict[str, str] = {}
        for question_id, switch in (("invoice_post", "write_answer"),
                                    ("duplicate_post", "duplicates")):  # fmt: skip
            answer = self.answer(question_id)
            if answer and answer.matches.get(switch):
                found[switch] = answer.matches[switch]
        return found

    @property
    def setting(self) -> str:
        """The line for .env that makes the sandbox answer as PowerOffice Go did."""
        if not self.behaviour:
            return ""
        value = ",".join(f"{name}={value}" for name, value in sorted(self.behaviour.items()))
        return f"POWEROFFICE_SANDBOX_BEHAVIOUR={value}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["behaviour"] = self.behaviour
        data["setting"] = self.setting
        return {"probe": "ledgerbridge-poweroffice-probe", "version": 1, **data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"

    def to_text(self) -> str:
        rows = [(a.id, a.outcome, a.statuses or "-", _matches_text(a.matches), a.finding)
                for a in self.answers]  # fmt: skip
        head = (_("question"), _("outcome"), _("HTTP"), _("sandbox"), _("finding"))
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(4)]
        lines = [
            _("PowerOffice Go probe, run %(run)s, %(mode)s mode (%(url)s), client %(client)s")
            % {"run": self.run_number, "mode": self.mode, "url": self.api_url,
               "client": self.client},
            _("Started %(start)s, finished %(end)s.") % {"start": self.started_at,
                                                        "end": self.finished_at},
        ]  # fmt: skip
        if self.stopped_at:
            lines.append(_("STOPPED after %(question)s: %(reason)s")
                         % {"question": self.stopped_at, "reason": self.stop_reason})  # fmt: skip
        lines.append("")
        for row in [head, *rows]:
            cells = [str(cell).ljust(widths[i]) for i, cell in enumerate(row[:4])]
            lines.append("  ".join([*cells, str(row[4])]).rstrip())
        lines += [
            "",
            _("Sandbox behaviour matching these answers: %(behaviour)s")
            % {"behaviour": _matches_text(self.behaviour) or _("none decided")},
        ]
        if self.setting:
            lines.append(_("To make it the sandbox's default, put this line in .env: %(line)s")
                         % {"line": self.setting})  # fmt: skip
        lines.append(_("Left behind in PowerOffice Go: %(items)s")
                     % {"items": "; ".join(self.left_behind) or _("nothing")})  # fmt: skip
        lines += ["", _("Exchanges per question (redacted):")]
        for answer in self.answers:
            lines.append(f"[{answer.id}] {answer.question}")
            lines += [f"    {exchange.line()}" for exchange in answer.exchanges]
            if answer.facts:
                facts = json.dumps(answer.facts, ensure_ascii=False, default=str, sort_keys=True)
                lines.append(f"    facts: {facts}")
        return "\n".join(lines) + "\n"


def _error_text(err: errors.IntegrationError, secrets: Iterable[str]) -> str:
    """ "HTTP 403: Forbidden — …" (or the error's class when no answer came), redacted."""
    status = f"HTTP {err.status_code}" if err.status_code else type(err).__name__
    return excerpt(f"{status}: {err.message}", secrets, limit=200)


def _matches_text(matches: dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(matches.items()))


def report_write(report: ProbeReport, directory: Path) -> tuple[Path, Path]:
    """Write the report as JSON and as text; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"poweroffice-probe-{report.mode}-{report.run_number}"
    json_path, text_path = directory / f"{stem}.json", directory / f"{stem}.txt"
    json_path.write_text(report.to_json(), encoding="utf-8")
    text_path.write_text(report.to_text(), encoding="utf-8")
    return json_path, text_path


# -- the script ---------------------------------------------------------------------------------
QUESTIONS: dict[str, Any] = {
    "auth": gettext_lazy(
        "Do the keys give a token, and which privileges does the integration hold?"
    ),
    "lock_date": gettext_lazy("Up to which date are the books locked?"),
    "vat_codes": gettext_lazy("Which VAT codes are there, and which Id has the output VAT code?"),
    "gl_accounts": gettext_lazy("Which Id and VAT code has the revenue account?"),
    "customer_series": gettext_lazy(
        "Does a customer number series hold the probe's reserved numbers?"
    ),
    "customer_create": gettext_lazy("How is a new customer answered?"),
    "project_create": gettext_lazy("How is a new project answered?"),
    "invoice_post": gettext_lazy(
        "Is POST /Vouchers/OutgoingInvoiceJournals open to this integration, and how is a "
        "stored voucher answered?"
    ),
    "credit_note_post": gettext_lazy(
        "Is a credit note (negative amounts) accepted on the same route?"
    ),
    "duplicate_post": gettext_lazy(
        "How is a repeated ExternalImportReference and InvoiceNo answered?"
    ),
    "read_voucher": gettext_lazy(
        "Can the vouchers be read back by id, with which amounts and currency?"
    ),
    "read_outgoing_invoices": gettext_lazy("Do the vouchers appear in /OutgoingInvoices?"),
    "read_customer_ledger": gettext_lazy(
        "Do the vouchers appear in the customer ledger, with which sign and currency fields?"
    ),
    "read_account_transactions": gettext_lazy(
        "Which account transactions did the invoice voucher make?"
    ),
    "find_by_reference": gettext_lazy(
        "Does the exporter's look-up by reference find the vouchers?"
    ),
    "pdf_upload": gettext_lazy("Is the PDF accepted and shown on the voucher?"),
    "headers": gettext_lazy("Were Retry-After (on 429) and X-Pagination (on lists) sent?"),
    "cleanup_reverse": gettext_lazy("Can the probe's vouchers be reversed?"),
    "cleanup_project": gettext_lazy("Can the throw-away project be deleted?"),
    "cleanup_customer": gettext_lazy("Can the throw-away customer be deleted?"),
}


def run_number_now() -> int:
    """A run number from the clock (ten-second steps), inside the reserved invoice range."""
    low, high = PROBE_INVOICE_NUMBERS
    return int(time.time() // 10) % ((high - low) // 2)


def _sign(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "unknown"
    return "negative" if number < 0 else "positive" if number > 0 else "zero"


def _present(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The currency and amount fields a row carries, with their values."""
    return {name: row[name] for name in names if name in row}


AMOUNT_FIELDS = ("Amount", "CurrencyAmount", "CurrencyCode", "CurrencyExchangeRate",
                 "TotalAmount", "NetAmount", "Balance", "VoucherType")  # fmt: skip


class Probe:
    """One run of the script against one client (see the module docstring)."""

    def __init__(
        self,
        client: ProbeClient,
        *,
        client_label: str,
        today: dt.date | None = None,
        run_number: int | None = None,
    ) -> None:
        self.client = client
        self.today = today or timezone.localdate()
        self.run = run_number_now() if run_number is None else run_number
        self.invoice_no = PROBE_INVOICE_NUMBERS[0] + 2 * self.run
        self.credit_no = self.invoice_no + 1
        self.report = ProbeReport(
            mode=client.mode,
            api_url=client.api_url,
            client=client_label,
            run_number=self.run,
            started_at=timezone.now().isoformat(timespec="seconds"),
        )
        self.created = self.report.created
        self.vouchers: dict[str, PostedVoucher] = {}  # role -> voucher (invoice, credit_note)
        self.extra_vouchers: list[str] = []  # ids of doubles an accepted duplicate stored
        self.vat_id: int | None = None
        self.account_id: int | None = None
        self.customer: dict[str, Any] = {}
        self.project: dict[str, Any] = {}

    # -- running -----------------------------------------------------------------------------
    def run_all(self) -> ProbeReport:
        script: list[tuple[str, Callable[[Answer], None]]] = [
            ("auth", self.ask_auth),
            ("lock_date", self.ask_lock_date),
            ("vat_codes", self.ask_vat_codes),
            ("gl_accounts", self.ask_gl_accounts),
            ("customer_series", self.ask_customer_series),
            ("customer_create", self.ask_customer_create),
            ("project_create", self.ask_project_create),
            ("invoice_post", self.ask_invoice_post),
            ("credit_note_post", self.ask_credit_note_post),
            ("duplicate_post", self.ask_duplicate_post),
            ("read_voucher", self.ask_read_voucher),
            ("read_outgoing_invoices", self.ask_read_outgoing_invoices),
            ("read_customer_ledger", self.ask_read_customer_ledger),
            ("read_account_transactions", self.ask_read_account_transactions),
            ("find_by_reference", self.ask_find_by_reference),
            ("pdf_upload", self.ask_pdf_upload),
        ]
        for question_id, step in script:
            if not self._step(question_id, step):
                break
        self._step("headers", self.ask_headers)
        for question_id, step in (("cleanup_reverse", self.cleanup_reverse),
                                  ("cleanup_project", self.cleanup_project),
                                  ("cleanup_customer", self.cleanup_customer)):  # fmt: skip
            self._step(question_id, step, cleanup=True)
        self.report.finished_at = timezone.now().isoformat(timespec="seconds")
        return self.report

    def _step(self, question_id: str, step: Callable[[Answer], None], cleanup=False) -> bool:
        """Ask one question; False when the script must stop here."""
        answer = Answer(question_id, str(QUESTIONS[question_id]))
        start = len(self.client.exchanges)
        go_on = True
        try:
            step(answer)
        except contract.ContractViolation as err:
            answer.outcome = "not_sent"
            answer.finding = _("Not sent: the contract refuses the request (%(errors)s).") % {
                "errors": "; ".join(err.errors)
            }
            go_on = self._stop(question_id, answer.finding, cleanup)
        except ProbeStop as err:
            answer.finding = answer.finding or str(err)
            go_on = self._stop(question_id, str(err), cleanup)
        except errors.IntegrationError as err:
            answer.outcome = (
                "unknown"
                if isinstance(err, errors.OutcomeUnknown)
                else ("refused" if isinstance(err, errors.PermanentError) else "error")
            )
            answer.finding = answer.finding or _error_text(err, self.client.secrets())
            answer.facts.setdefault("status", err.status_code)
            if err.field_errors:
                answer.facts.setdefault("field_errors", sorted(err.field_errors))
            if question_id in REQUIRED:
                go_on = self._stop(question_id, answer.finding, cleanup)
        answer.exchanges = self.client.exchanges[start:]
        self.report.answers.append(answer)
        return go_on

    def _stop(self, question_id: str, reason: str, cleanup: bool) -> bool:
        if not cleanup and not self.report.stopped_at:
            self.report.stopped_at, self.report.stop_reason = question_id, reason
        return False

    # -- reading the client's settings -----------------------------------------------------------
    def ask_auth(self, answer: Answer) -> None:
        try:
            info = self.client.get_client_integration_information()
        except errors.IntegrationError as err:
            answer.outcome = "refused" if isinstance(err, errors.PermanentError) else "error"
            answer.facts["status"] = err.status_code
            raise ProbeStop(
                _("Authentication failed: %(error)s")
                % {"error": _error_text(err, self.client.secrets())}
            ) from err
        needed = (
            "OutgoingInvoiceVoucher_Full",
            "CustomerLedger",
            "AccountTransaction",
            "VoucherDocumentation_Full",
            "YearEndVoucher_Full",
            "OutgoingInvoice",
        )
        answer.facts = {
            "client_name": info.client_name,
            "subscriptions": list(info.subscriptions),
            "valid_privileges": list(info.valid_privileges),
            "invalid_privileges": list(info.invalid_privileges),
            "has": {name: info.has_privilege(name) for name in needed},
        }  # fmt: skip
        missing = [name for name, held in answer.facts["has"].items() if not held]
        answer.finding = _(
            "Token issued for %(name)s; privileges the probe uses and lacks: %(missing)s."
        ) % {"name": info.client_name, "missing": ", ".join(missing) or _("none")}

    def ask_lock_date(self, answer: Answer) -> None:
        locked = self.client.get_lock_date()
        answer.facts = {"lock_date": locked.isoformat() if locked else None,
                        "voucher_date": self.today.isoformat()}  # fmt: skip
        answer.finding = _("Locked up to %(date)s.") % {"date": locked or _("no date")}
        if locked and self.today <= locked:
            raise ProbeStop(_("The books are locked up to %(date)s: a voucher dated today would "
                              "be refused.") % {"date": locked})  # fmt: skip

    def ask_vat_codes(self, answer: Answer) -> None:
        codes = list(self.client.list_vat_codes())
        wanted = next((c for c in codes if str(c.get("Code")) == PROBE_VAT_CODE), None)
        answer.facts = {"count": len(codes), "fields": sorted({k for c in codes for k in c}),
                        "probe_code": wanted}  # fmt: skip
        if wanted is None:
            raise ProbeStop(_("There is no VAT code %(code)s to post the invoice with.")
                            % {"code": PROBE_VAT_CODE})  # fmt: skip
        self.vat_id = wanted["Id"]
        answer.finding = _("%(count)d VAT codes; code %(code)s has Id %(id)s, rate %(rate)s.") % {
            "count": len(codes), "code": PROBE_VAT_CODE, "id": wanted["Id"],
            "rate": wanted.get("Rate")}  # fmt: skip

    def ask_gl_accounts(self, answer: Answer) -> None:
        rows = list(self.client.list_general_ledger_accounts(
            account_numbers=[PROBE_REVENUE_ACCOUNT]))  # fmt: skip
        account = next((r for r in rows if r.get("AccountNo") == PROBE_REVENUE_ACCOUNT), None)
        answer.facts = {"account": account}
        if account is None:
            raise ProbeStop(_("There is no account %(number)s to post the revenue on.")
                            % {"number": PROBE_REVENUE_ACCOUNT})  # fmt: skip
        self.account_id = account["Id"]
        answer.finding = _("Account %(number)s has Id %(id)s and VAT code %(vat)s.") % {
            "number": PROBE_REVENUE_ACCOUNT,
            "id": account["Id"],
            "vat": account.get("VatCode"),
        }

    def ask_customer_series(self, answer: Answer) -> None:
        series = list(self.client.list_sub_ledger_number_series(series_type="Customer"))
        low, high = PROBE_CUSTOMER_NUMBERS
        holding = [s for s in series if (s.get("FromInclusive") or 0) <= low
                   and high <= (s.get("ToInclusive") or 0)]  # fmt: skip
        answer.facts = {"series": [{k: s.get(k) for k in ("Name", "FromInclusive", "ToInclusive",
                                                           "IsDefault")} for s in series],
                        "reserved": [low, high]}  # fmt: skip
        if not holding:
            raise ProbeStop(
                _(
                    "No customer number series holds %(low)s-%(high)s, the probe's "
                    "reserved customer numbers."
                )
                % {"low": low, "high": high}
            )
        answer.finding = _("Series %(name)s holds %(low)s-%(high)s.") % {
            "name": holding[0].get("Name"),
            "low": low,
            "high": high,
        }

    # -- throw-away customer and project -------------------------------------------------------
    def _created(self, answer: Answer, kind: str, found: dict[str, Any] | None) -> dict[str, Any]:
        """After a create: the record from the answer or, when the answer had none, found."""
        shape = self._last_shape(answer)
        answer.matches["write_answer"] = shape
        if found is None:
            raise ProbeStop(_("The %(kind)s was answered with %(shape)s and no look-up finds "
                              "it.") % {"kind": kind, "shape": shape})  # fmt: skip
        return found

    def _last_shape(self, answer: Answer) -> str:
        posts = [e for e in self.client.exchanges if e.method == "POST" and e.status]
        return posts[-1].answer_shape if posts and posts[-1].answer_shape else "none"

    def ask_customer_create(self, answer: Answer) -> None:
        low, high = PROBE_CUSTOMER_NUMBERS
        used = {int(c["Number"]) for c in self.client.list_customers(numbers=f"{low}-{high}")
                if str(c.get("Number") or "").isdigit()}  # fmt: skip
        free = next((n for n in range(low, high + 1) if n not in used), None)
        if free is None:
            raise ProbeStop(
                _(
                    "Every reserved customer number %(low)s-%(high)s is taken; delete "
                    "old probe customers in PowerOffice Go."
                )
                % {"low": low, "high": high}
            )
        payload = {
            "Name": f"Ledgerbridge probe {self.run}",
            "Number": free,
            "ExternalImportReference": f"{PROBE_REFERENCE_PREFIX}-{self.run}",
            "IsPerson": False,
        }
        try:
            customer = self.client.create_customer(payload)
        except errors.OutcomeUnknown:
            answer.outcome = "unknown"
            customer = next(iter(self.client.list_customers(numbers=[free])), None)
        self.customer = self._created(answer, "customer", customer)
        self.created["customer"] = {k: self.customer.get(k)
                                    for k in ("Id", "Number", "SubledgerAccountId")}  # fmt: skip
        answer.facts = {"customer": self.created["customer"]}
        answer.finding = _("Customer %(number)s created (Id %(id)s); the answer was %(shape)s.") % {
            "number": free,
            "id": self.customer.get("Id"),
            "shape": answer.matches["write_answer"],
        }

    def ask_project_create(self, answer: Answer) -> None:
        code = f"{PROBE_PROJECT_PREFIX}{self.run}"
        payload = {"Name": f"Ledgerbridge probe {self.run}", "Code": code,
                   "CustomerId": self.customer.get("Id"), "ProjectStatus": "Active",
                   "IsActive": True}  # fmt: skip
        try:
            project = self.client.create_project(payload)
        except errors.OutcomeUnknown:
            answer.outcome = "unknown"
            project = next(iter(self.client.list_projects(codes=[code])), None)
        except errors.PermanentError as err:
            answer.outcome = "refused"
            answer.finding = _(
                "Refused (%(error)s); the vouchers are posted without a project."
            ) % {"error": _error_text(err, self.client.secrets())}
            answer.facts = {"status": err.status_code}
            return
        self.project = self._created(answer, "project", project)
        self.created["project"] = {k: self.project.get(k) for k in ("Id", "Code")}
        answer.facts = {"project": self.created["project"]}
        answer.finding = _("Project %(code)s created (Id %(id)s); the answer was %(shape)s.") % {
            "code": code,
            "id": self.project.get("Id"),
            "shape": answer.matches["write_answer"],
        }

    # -- vouchers ----------------------------------------------------------------------------
    def _reference(self, role: str) -> str:
        return f"{PROBE_REFERENCE_PREFIX}-{self.run}-{role}"

    def voucher_payload(self, role: str) -> dict[str, Any]:
        """The OutgoingInvoiceVoucherDto the product would send (see mapping.py), with one line;
        the credit note has negative amounts and matches the invoice's number."""
        sign = Decimal(-1) if role == "credit_note" else Decimal(1)
        number = self.credit_no if role == "credit_note" else self.invoice_no
        project_id = self.project.get("Id")
        return {
            "ExternalImportReference": self._reference(role),
            "InvoiceNo": str(number),
            "ImportedVoucherNo": number,
            "Description": f"Ledgerbridge probe {self.run} ({role})",
            "CustomerAccountId": self.customer.get("SubledgerAccountId"),
            "ProjectId": project_id,
            "VoucherDate": self.today,
            "DueDate": self.today + dt.timedelta(days=14),
            "CurrencyAmount": sign * PROBE_AMOUNT,
            "CurrencyCode": "NOK",
            "CustomMatchingReference": str(self.invoice_no),
            "OutgoingInvoiceLines": [{
                "Description": "Probe line (1 × 1000, VAT 25 %)",
                "AccountId": self.account_id,
                "VatId": self.vat_id,
                "Quantity": sign,
                "CurrencyAmount": sign * PROBE_AMOUNT,
                "ProjectId": project_id,
            }],
        }  # fmt: skip

    def _find(self, role: str) -> PostedVoucher | None:
        number = self.credit_no if role == "credit_note" else self.invoice_no
        return self.client.find_voucher_by_reference(
            external_import_reference=self._reference(role),
            voucher_date=self.today,
            invoice_no=str(number),
        )

    def _post(self, answer: Answer, role: str) -> PostedVoucher:
        """Post one voucher; after an answer without the voucher, look it up. ProbeStop when
        its outcome stays unknown."""
        try:
            voucher = self.client.post_outgoing_invoice(self.voucher_payload(role))
        except errors.OutcomeUnknown as err:
            answer.outcome = "unknown"
            answer.facts["status"] = err.status_code
            if err.status_code is not None and err.status_code < 300:
                answer.matches["write_answer"] = self._last_shape(answer)
            found = self._find(role)
            answer.facts["found_by_reference"] = found is not None
            if found is None:
                raise ProbeStop(_("The %(role)s post's outcome is unknown (%(error)s) and the "
                                  "look-up by reference does not find it.")
                                % {"role": role, "error": _error_text(err, self.client.secrets())}
                                ) from err  # fmt: skip
            voucher = found
        else:
            answer.matches["write_answer"] = "full"
            answer.facts["status"] = self.client.exchanges[-1].status
        self.vouchers[role] = voucher
        self.created.setdefault("vouchers", {})[role] = {
            "Id": voucher.voucher_id, "VoucherNo": voucher.voucher_no,
            "ExternalImportReference": self._reference(role)}  # fmt: skip
        answer.facts.update(voucher_id=voucher.voucher_id, voucher_no=voucher.voucher_no)
        answer.finding = _("Stored as voucher %(no)s (Id %(id)s); the answer was %(shape)s.") % {
            "no": voucher.voucher_no,
            "id": voucher.voucher_id,
            "shape": answer.matches.get("write_answer", "?"),
        }
        return voucher

    def ask_invoice_post(self, answer: Answer) -> None:
        try:
            self._post(answer, "invoice")
        except errors.PermanentError as err:
            answer.outcome = "refused"
            answer.facts.update(status=err.status_code, field_errors=sorted(err.field_errors))
            raise ProbeStop(
                _("The invoice post was refused (%(error)s); nothing to read back.")
                % {"error": _error_text(err, self.client.secrets())}
            ) from err

    def ask_credit_note_post(self, answer: Answer) -> None:
        self._post(answer, "credit_note")

    def ask_duplicate_post(self, answer: Answer) -> None:
        payload = self.voucher_payload("invoice")
        try:
            again = self.client.post_outgoing_invoice(payload)
        except errors.OutcomeUnknown as err:
            answer.facts["status"] = err.status_code
            if err.status_code is None or err.status_code >= 300:
                answer.outcome = "unknown"
                answer.finding = _("No usable answer (%(error)s); the ledger shows "
                                   "%(count)d vouchers with the invoice's reference.") % {
                    "error": _error_text(err, self.client.secrets()),
                    "count": len(self._doubles())}  # fmt: skip
                return
            self._accepted(answer, None)
            return
        except errors.PermanentError as err:
            answer.outcome = "refused"
            named = [name for name in err.field_errors
                     if any(f in name.lower() for f in REFERENCE_FIELDS)]  # fmt: skip
            behaviour = "refuse_field" if named else "refuse_plain"
            answer.matches["duplicates"] = behaviour
            answer.facts.update(
                status=err.status_code,
                field_errors=sorted(err.field_errors),
                message=excerpt(err.message, self.client.secrets()),
            )
            answer.finding = _("Refused with HTTP %(status)s; fields named: %(fields)s.") % {
                "status": err.status_code,
                "fields": ", ".join(named) or _("none"),
            }
            return
        answer.facts["status"] = self.client.exchanges[-1].status
        self._accepted(answer, again)

    def _accepted(self, answer: Answer, again: PostedVoucher | None) -> None:
        """The repeated post was stored: a second voucher with the same reference exists."""
        answer.matches["duplicates"] = "accept"
        first = self.vouchers["invoice"].voucher_id
        ids = {again.voucher_id} if again else set(self._doubles())
        self.extra_vouchers = sorted(i for i in ids if i and i != first)
        self.created.setdefault("vouchers", {})["duplicate"] = self.extra_vouchers
        answer.facts["second_voucher_ids"] = self.extra_vouchers
        answer.finding = _(
            "Accepted: a second voucher with the same reference was stored (%(ids)s)."
        ) % {"ids": ", ".join(self.extra_vouchers) or "?"}

    def _doubles(self) -> list[str]:
        rows = self.client.list_customer_ledger_statement(
            from_date=self.today, to_date=self.today, invoiceNos=str(self.invoice_no)
        )
        reference = self._reference("invoice")
        return sorted({str(r.get("VoucherId")) for r in rows
                       if r.get("ExternalImportReference") == reference})  # fmt: skip

    # -- reading back ---------------------------------------------------------------------------
    def _voucher_ids(self) -> dict[str, str]:
        return {role: v.voucher_id for role, v in self.vouchers.items()}

    def ask_read_voucher(self, answer: Answer) -> None:
        seen = {}
        for role, voucher_id in self._voucher_ids().items():
            try:
                dto = self.client.get_outgoing_invoice(voucher_id) or {}
            except errors.PermanentError as err:
                seen[role] = {"status": err.status_code}
                continue
            seen[role] = {"fields": sorted(dto), **_present(dto, AMOUNT_FIELDS),
                          "InvoiceNo": dto.get("InvoiceNo"), "IsReversed": dto.get("IsReversed"),
                          "ExternalImportReference": dto.get("ExternalImportReference"),
                          "sign": _sign(dto.get("CurrencyAmount"))}  # fmt: skip
        answer.facts = seen
        answer.finding = "; ".join(
            _("%(role)s: %(state)s") % {"role": role, "state": _("read, amount %(sign)s") % {
                "sign": facts["sign"]} if "sign" in facts else _("HTTP %(status)s") % facts}
            for role, facts in seen.items())  # fmt: skip

    def ask_read_outgoing_invoices(self, answer: Answer) -> None:
        rows = self.client.list_outgoing_invoices(
            invoice_numbers=[str(self.invoice_no), str(self.credit_no)]
        )
        by_no = {str(r.get("InvoiceNo")): r for r in rows}
        answer.facts = {
            role: ({**_present(by_no[str(no)], AMOUNT_FIELDS), "appears": True,
                    "sign": _sign(by_no[str(no)].get("TotalAmount"))}
                   if str(no) in by_no else {"appears": False})
            for role, no in (("invoice", self.invoice_no), ("credit_note", self.credit_no))
        }  # fmt: skip
        answer.finding = _("Invoice listed: %(invoice)s; credit note listed: %(credit)s.") % {
            "invoice": answer.facts["invoice"]["appears"],
            "credit": answer.facts["credit_note"]["appears"],
        }

    def ask_read_customer_ledger(self, answer: Answer) -> None:
        rows = list(self.client.list_customer_ledger_statement(
            from_date=self.today, to_date=self.today,
            customerNos=str(self.customer.get("Number"))))  # fmt: skip
        facts: dict[str, Any] = {"rows": len(rows)}
        for role, voucher_id in self._voucher_ids().items():
            mine = [r for r in rows if str(r.get("VoucherId")) == voucher_id]
            facts[role] = ({**_present(mine[0], AMOUNT_FIELDS), "appears": True,
                            "sign": _sign(mine[0].get("Amount")),
                            "InvoiceNo": mine[0].get("InvoiceNo"),
                            "ExternalImportReference": mine[0].get("ExternalImportReference"),
                            "CustomMatchingReference": mine[0].get("CustomMatchingReference")}
                           if mine else {"appears": False})  # fmt: skip
        answer.facts = facts
        answer.finding = "; ".join(
            _("%(role)s: in the ledger, amount %(sign)s, type %(type)s") % {
                "role": role, "sign": f.get("sign"), "type": f.get("VoucherType")}
            if f.get("appears") else _("%(role)s: not in the ledger") % {"role": role}
            for role, f in facts.items() if isinstance(f, dict))  # fmt: skip

    def ask_read_account_transactions(self, answer: Answer) -> None:
        invoice = self.vouchers["invoice"]
        rows = list(
            self.client.list_account_transactions(
                from_date=self.today, to_date=self.today, voucherNos=str(invoice.voucher_no)
            )
        )
        mine = [r for r in rows if str(r.get("VoucherId")) == invoice.voucher_id]
        total = sum(Decimal(str(r.get("Amount") or 0)) for r in mine)
        answer.facts = {
            "rows": [{k: r.get(k) for k in ("AccountNo", "Amount", "CurrencyAmount",
                                             "CurrencyCode", "VatCode", "VatAmount",
                                             "ProjectCode", "ExternalImportReference")}
                     for r in mine],
            "balance": str(total),
        }  # fmt: skip
        answer.finding = ngettext(
            "%(count)d transaction on accounts %(accounts)s; it sums to %(total)s.",
            "%(count)d transactions on accounts %(accounts)s; they sum to %(total)s.",
            len(mine),
        ) % {
            "count": len(mine),
            "total": money_display(total),
            "accounts": ", ".join(str(r.get("AccountNo")) for r in mine) or "-",
        }

    def ask_find_by_reference(self, answer: Answer) -> None:
        found = {}
        for role, voucher in self.vouchers.items():
            hit = self._find(role)
            found[role] = {
                "found": hit is not None,
                "same_id": bool(hit and hit.voucher_id == voucher.voucher_id),
            }
        answer.facts = found
        answer.finding = "; ".join(
            _("%(role)s: found %(found)s, same voucher %(same)s") % {
                "role": role, "found": f["found"], "same": f["same_id"]}
            for role, f in found.items())  # fmt: skip

    def ask_pdf_upload(self, answer: Answer) -> None:
        voucher_id = self.vouchers["invoice"].voucher_id
        self.client.upload_voucher_pdf(voucher_id, PROBE_PDF, "ledgerbridge-probe.pdf")
        status = self.client.exchanges[-1].status
        rows = self.client.list_voucher_documentation(voucher_id)
        answer.facts = {"upload_status": status, "documentation": rows}
        has_pdf = any(r.get("HasPdf") for r in rows)
        answer.finding = _("Upload answered HTTP %(status)s; the voucher shows a PDF: %(has)s.") % {
            "status": status,
            "has": has_pdf,
        }

    def ask_headers(self, answer: Answer) -> None:
        exchanges = self.client.exchanges
        throttled = [e for e in exchanges if e.status == 429]
        lists = [e for e in exchanges if e.method == "GET" and "pagenumber=" in e.path.lower()]
        answer.facts = {
            "throttled": len(throttled),
            "retry_after_on_429": [e.headers.get("retry-after") for e in throttled],
            "x_pagination_on_lists": sum(1 for e in lists if "x-pagination" in e.headers),
            "lists": len(lists),
            "header_names": sorted({h for e in exchanges for h in e.headers}),
        }
        answer.finding = _("%(throttled)d answers were 429 (Retry-After: %(retry)s); "
                           "X-Pagination on %(paged)d of %(lists)d list answers.") % {
            "throttled": len(throttled), "lists": len(lists),
            "retry": ", ".join(str(v) for v in answer.facts["retry_after_on_429"]) or "-",
            "paged": answer.facts["x_pagination_on_lists"]}  # fmt: skip

    # -- clean-up ------------------------------------------------------------------------------
    def cleanup_reverse(self, answer: Answer) -> None:
        ids = [*self._voucher_ids().values(), *self.extra_vouchers]
        if not ids:
            answer.outcome, answer.finding = "skipped", _("No voucher was posted.")
            return
        results = {}
        for voucher_id in ids:
            try:
                self.client.reverse_voucher(voucher_id)
                results[voucher_id] = self.client.exchanges[-1].status
            except errors.IntegrationError as err:
                results[voucher_id] = err.status_code or type(err).__name__
                self.report.left_behind.append(
                    _("voucher %(id)s (not reversed: HTTP %(status)s)")
                    % {"id": voucher_id, "status": err.status_code}
                )
        answer.facts = {"reversed": results}
        left = [i for i, s in results.items() if not (isinstance(s, int) and s < 300)]
        answer.outcome = "refused" if left else "answered"
        answer.finding = _("%(done)d of %(all)d vouchers reversed.") % {
            "done": len(ids) - len(left),
            "all": len(ids),
        }

    def _delete(self, answer: Answer, kind: str, record: dict[str, Any], delete) -> None:
        if not record.get("Id"):
            answer.outcome = "skipped"
            answer.finding = _("No %(kind)s was created.") % {"kind": kind}
            return
        try:
            delete(record["Id"])
        except errors.IntegrationError as err:
            answer.outcome = "refused"
            answer.facts = {"status": err.status_code}
            answer.finding = _("Not deleted (HTTP %(status)s).") % {"status": err.status_code}
            self.report.left_behind.append(_("%(kind)s %(id)s (not deleted: HTTP %(status)s)")
                                           % {"kind": kind, "id": record["Id"],
                                              "status": err.status_code})  # fmt: skip
            return
        answer.finding = _("Deleted.")

    def cleanup_project(self, answer: Answer) -> None:
        self._delete(answer, "project", self.project, self.client.delete_project)

    def cleanup_customer(self, answer: Answer) -> None:
        self._delete(answer, "customer", self.customer, self.client.delete_customer)


class ProductionRefused(errors.ConnectionMisconfigured):
    """The probe writes; in production only with an explicit confirmation."""


def poweroffice_probe_run(
    *,
    connection,
    allow_production: bool = False,
    today: dt.date | None = None,
    run_number: int | None = None,
    **client_kwargs: Any,
) -> ProbeReport:
    """Run the probe against a PowerOffice Go connection and return its report (see the
    module docstring). Refuses a production connection unless `allow_production`."""
    if connection.mode == "production" and not allow_production:
        raise ProductionRefused(
            _("%(connection)s is in production mode: the probe posts vouchers there. Use a demo "
              "connection, or confirm with --i-understand-this-writes-to-production.")
            % {"connection": connection}
        )  # fmt: skip
    client = ProbeClient.for_connection(connection, **client_kwargs)
    label = f"{connection.client.name} ({connection.client.organization_number})"
    return Probe(client, client_label=label, today=today, run_number=run_number).run_all()
