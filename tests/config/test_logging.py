"""Each log line is printed once: no logger reaches two console handlers."""

import logging

import pytest


def console_handlers_reached(name: str) -> list[logging.Handler]:
    reached, logger = [], logging.getLogger(name)
    while logger:
        reached += [h for h in logger.handlers if type(h) is logging.StreamHandler]
        logger = logger.parent if logger.propagate else None
    return reached


@pytest.mark.parametrize("name", [
    "django.request", "django.security.csrf", "django", "integrations.engine", "django-q",
    "pos.tasks", "api.handlers",
])
def test_a_log_line_reaches_exactly_one_console(name):
    assert len(console_handlers_reached(name)) == 1


def test_a_not_found_warning_is_printed_once(capfd, client):
    import sys

    console = console_handlers_reached("django.request")[0]
    previous = console.setStream(sys.stderr)  # the captured stderr
    try:
        client.get("/api/v1/there-is-nothing-here")
    finally:
        console.setStream(previous)
    assert capfd.readouterr().err.count("Not Found: /api/v1/there-is-nothing-here") == 1
