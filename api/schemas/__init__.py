"""Typed request and response documents of the API (the OpenAPI document is built from them)."""
