"""The sandbox's default answers to what PowerOffice Go's documentation leaves open.

Built in: a repeated reference is refused with a field error (`duplicates=refuse_field`) and a
create is answered with the new record (`write_answer=full`). The setting
POWEROFFICE_SANDBOX_BEHAVIOUR (e.g. "duplicates=refuse_plain,write_answer=full", the line a
`poweroffice_probe` report prints) replaces them, so the sandbox answers as the real API did.
A SandboxConfig built with explicit values, or changed through POST /_sandbox/config, wins.
"""

from __future__ import annotations

BUILT_IN = {"duplicates": "refuse_field", "write_answer": "full"}


def configured_behaviour() -> dict[str, str]:
    """The switches set by POWEROFFICE_SANDBOX_BEHAVIOUR; ValueError on an unknown switch."""
    from django.conf import settings

    if not settings.configured:
        return {}
    value = dict(getattr(settings, "POWEROFFICE_SANDBOX_BEHAVIOUR", None) or {})
    unknown = sorted(set(value) - set(BUILT_IN))
    if unknown:
        raise ValueError(
            f"POWEROFFICE_SANDBOX_BEHAVIOUR: unknown switch {', '.join(unknown)}; "
            f"known: {', '.join(BUILT_IN)}"
        )
    return {name: str(v).strip() for name, v in value.items()}


def default_behaviour(switch: str) -> str:
    """The default of one switch: the setting's value, else the built-in one."""
    return configured_behaviour().get(switch, BUILT_IN[switch])
