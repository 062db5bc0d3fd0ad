"""{% transfer_dashboard %}: the health dashboard on the admin index (for whoever may read the
sync log)."""

from django import template

from integrations.dashboard import BAR_WIDTH, COLOURS, LABELS, dashboard_rows, dashboard_totals

register = template.Library()


@register.inclusion_tag("admin/integrations/dashboard.html", takes_context=True)
def transfer_dashboard(context):
    request = context.get("request")
    if request is None or not request.user.has_perm("integrations.view_transfer"):
        return {"show": False}
    rows = dashboard_rows()
    return {
        "show": True,
        "rows": rows,
        "totals": dashboard_totals(rows),
        "bar_width": BAR_WIDTH,
        "svg_width": BAR_WIDTH + 60,
        "legend": [(LABELS[state], colour) for state, colour in COLOURS.items()],
    }
