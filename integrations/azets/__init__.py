"""Azets connector: settings, client, contract, sandbox and (lazily) AzetsConnector.

The connector is imported on first access so that the contract, the client and the sandbox can
be used without importing the engine's models.
"""


def __getattr__(name):
    if name == "AzetsConnector":
        from .connector import AzetsConnector

        return AzetsConnector
    raise AttributeError(name)
