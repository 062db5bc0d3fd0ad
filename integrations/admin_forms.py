"""The Connection admin form: switching to production with setup steps not done needs a tick.

When the endpoint mode changes to production and the client's setup checklist has red steps
(judged on the values about to be saved), the form is refused with the red steps listed on the
"I understand" field; ticking it saves anyway. Other changes are never held up.
"""

from __future__ import annotations

import copy

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Mode

CONFIRM_FIELD = "confirm_production"


class ConnectionForm(forms.ModelForm):
    confirm_production = forms.BooleanField(
        label=_("I understand: switch to production with setup steps not done"),
        required=False,
        help_text=_(
            "Needed only when the endpoint mode changes to production while the client's setup "
            "checklist still shows red steps."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if self._switching_to_production(cleaned) and not cleaned.get(CONFIRM_FIELD):
            red = self._red_steps(cleaned)
            if red:
                lines = "; ".join(f"{step.title}: {step.detail}" for step in red)
                self.add_error(CONFIRM_FIELD, ngettext(
                    "This setup step is not done: %(steps)s. Tick the box to switch to "
                    "production anyway, or fix it first.",
                    "These %(count)d setup steps are not done: %(steps)s. Tick the box to switch "
                    "to production anyway, or fix them first.",
                    len(red),
                ) % {"steps": lines, "count": len(red)})  # fmt: skip
        return cleaned

    def _switching_to_production(self, cleaned) -> bool:
        if cleaned.get("mode") != Mode.PRODUCTION:
            return False
        return self.instance.pk is None or "mode" in self.changed_data

    def _red_steps(self, cleaned):
        from .checklist import checklist_red_steps

        # The steps as the checklist page shows them, with the form's values, but asked of the
        # system in the stored mode with the stored keys: the production address asked with a
        # key tested elsewhere answers nothing, and a red step turned "unknown" went unnamed.
        candidate = copy.copy(self.instance)
        for name in ("client", "system", "enabled", "error_recipients"):
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        if candidate.client_id is None:
            return []
        notify = cleaned.get("notify_users")
        emails = None if notify is None else [u.email for u in notify if u.email and u.is_active]
        return checklist_red_steps(
            client=candidate.client, connection=candidate,
            notify_emails={candidate.system: emails} if emails is not None else None,
        )  # fmt: skip
