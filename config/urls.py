from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from accounting.files import private_file_view

admin.site.site_header = _("Ledgerbridge back office")
admin.site.site_title = _("Ledgerbridge")
admin.site.index_title = _("Overview")


def health(request):
    """Liveness and database check for load balancers and `make run`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    # The back office is the admin: the bare address leads there (it was a 404).
    path("", RedirectView.as_view(pattern_name="admin:index"), name="home"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/", include("api.urls")),
    # The admin header's language switcher posts here (django.views.i18n.set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    # Invoice PDFs and attachments: signed URLs, login and permission checked (MEDIA_ROOT itself
    # is never served).
    path("files/<str:token>/", private_file_view, name="private-file"),
]
