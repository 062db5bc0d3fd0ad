"""Bearer authentication with per-client API tokens, then the per-token rate limit."""

from ninja.security import HttpBearer

from .models import ApiToken
from .ratelimit import bad_token_check, bad_token_count, rate_limit_check
from .tokens import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer lb_…`. On success `request.auth` is the ApiToken (its `.client`
    is the only client the request may read or write)."""

    openapi_description = "A Ledgerbridge API token (lb_…), created in the admin."

    def __call__(self, request):
        # Ninja's HttpBearer logs the whole header on a wrong scheme in DEBUG: never log tokens.
        scheme, _sep, value = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return self.authenticate(request, value.strip())

    def authenticate(self, request, token: str) -> ApiToken | None:
        address = request.META.get("REMOTE_ADDR", "") or "unknown"
        bad_token_check(address=address)  # an address guessing tokens is refused outright
        api_token = api_token_authenticate(plaintext=token)
        if api_token is None:
            bad_token_count(address=address)
            return None
        rate_limit_check(token_id=api_token.pk)
        return api_token
