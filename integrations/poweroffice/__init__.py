"""PowerOffice Go v2 connector: client, sandbox, contract and (lazily) PowerOfficeConnector.

The connector is imported on first access so that `contract`, `client` and the sandbox can be
used without importing the engine's models.
"""


def __getattr__(name):
    if name == "PowerOfficeConnector":
        from .connector import PowerOfficeConnector

        return PowerOfficeConnector
    raise AttributeError(name)
