"""Shared base for the connectors' local emulators (never used in production).

The generic parts live here so every connector's sandbox behaves the same way: a WSGI app with
a control API, request recording, fault injection, ProblemDetails answers, 501 for anything not
emulated, JSON Schema validation, and a runner that serves it on a port or in a thread.
"""
