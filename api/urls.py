from django.urls import path, re_path

from .handlers import not_found_view
from .main import api

urlpatterns = [
    path("v1/", api.urls),
    re_path(r"^.*$", not_found_view),
]
