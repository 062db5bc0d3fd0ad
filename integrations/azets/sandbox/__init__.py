"""Local emulator of the proposed Azets contract (never used in production).

`python manage.py azets_sandbox --port 8002` serves it (and `make run` starts it); tests start
it in a thread (tests/e2e/conftest.py). Its default credentials and scope let a sandbox-mode
connection work out of the box.
"""

DEFAULT_USERNAME = "azets-sandbox"
DEFAULT_PASSWORD = "sandbox-password-0001"
DEFAULT_API_KEY = "azets-sandbox-key-0001"  # accepted as `Authorization: ApiKey <key>`
DEFAULT_PARENT_CLIENT_ID = "S1001"
DEFAULT_SOURCE_CLIENT_ID = "42"
DEFAULT_CLIENT_NAME = "Sandbox Demo AS"
