from .clients import Client

__all__ = ["Client"]
