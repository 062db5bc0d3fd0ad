"""Local emulator of the PowerOffice Go v2 endpoints Ledgerbridge uses (never in production).

`python manage.py poweroffice_sandbox --port 8001` serves it; tests start it in a thread (see
tests/e2e/conftest.py). Its default keys let a sandbox-mode connection work out of the box.
"""

DEFAULT_APPLICATION_KEY = "5a4d1b0e-0000-4000-8000-0000000a9911"
DEFAULT_SUBSCRIPTION_KEY = "sandbox-subscription-key-0001"
DEFAULT_CLIENT_KEY = "7c0f5e2a-0000-4000-8000-00000000c1e1"
DEFAULT_CLIENT_NAME = "Sandbox Demo AS"
# A client key PowerOffice would know from the *other* environment (demo vs production):
# the token endpoint refuses it with invalid_client, as the real one does.
OTHER_ENVIRONMENT_CLIENT_KEY = "d300d300-0000-4000-8000-0000000e0e0e"
