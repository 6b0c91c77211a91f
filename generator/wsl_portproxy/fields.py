"""Step 2a: validators for single inventory values, built on ``schema``.

Each validator takes the raw value and returns the normalized one, or raises
``FieldError`` with a sentence a person understands. Values that travel into
PowerShell, XML or text are constrained here to what Windows accepts; the
templates escape them as well (defence in depth).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from schema import And, Or, Schema, SchemaError, Use

from . import constraints as limits
from .model import InstallDir


class FieldError(ValueError):
    """A single value is wrong; the message says why."""


def _run(rule: Schema, value: Any) -> Any:
    try:
        return rule.validate(value)
    except SchemaError as exc:
        messages = [m for m in exc.errors if m] or [m for m in exc.autos if m]
        raise FieldError(messages[-1] if messages else "invalid value") from exc


def describe(value: Any) -> str:
    return repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:57] + "...")


# --- server names -----------------------------------------------------------------------------

_COMPUTER_NAME = re.compile(limits.COMPUTER_NAME)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def _computer_name(value: str) -> bool:
    return (
        bool(_COMPUTER_NAME.fullmatch(value))
        and not value.isdigit()
        and not value.startswith("-")
        and not value.endswith("-")
        and value.upper() not in _RESERVED
    )


NAME = Schema(And(
    Or(str, error="must be text, got {!r}"),
    _computer_name,
    error="{!r} is not a valid Windows computer name: use 1-15 letters, digits and hyphens "
          "(not only digits, no leading or trailing hyphen, not a device name such as CON)",
))

# --- WSL distro -------------------------------------------------------------------------------

DISTRO = Schema(And(
    Or(str, error="must be text, got {!r}"),
    lambda s: re.fullmatch(limits.DISTRO_NAME, s) is not None,
    error="{!r} is not a WSL distribution name: use letters, digits, '.', '_' and '-' (at most 64)",
))

# --- run_as -----------------------------------------------------------------------------------

_SERVICE_ACCOUNTS = {"system", "localsystem", "s-1-5-18", "localservice", "networkservice",
                     "s-1-5-19", "s-1-5-20", "local service", "network service"}
_DOMAIN = r"(?:\.|[A-Za-z0-9][A-Za-z0-9.-]{0,62})"
_SAM = r"[^\"/\\\[\]:;|=,+*?<>@\x00-\x1f\x7f]{1,20}"
_UPN = r"[^\"/\\\[\]:;|=,+*?<>@\x00-\x1f\x7f\s]{1,64}@[A-Za-z0-9.-]{1,253}"
_ACCOUNT = re.compile(rf"(?:{_DOMAIN}\\)?{_SAM}|{_UPN}")


def _not_service_account(value: str) -> bool:
    user = value.rsplit("\\", 1)[-1].strip().lower()
    return user not in _SERVICE_ACCOUNTS and value.lower() not in _SERVICE_ACCOUNTS


def _account_syntax(value: str) -> bool:
    return bool(_ACCOUNT.fullmatch(value)) and value == value.strip() and value.isprintable()


RUN_AS = Schema(And(
    Or(str, error="must be text (DOMAIN\\user or user@domain), got {!r}"),
    And(_account_syntax, error="{!r} is not a Windows account name: write DOMAIN\\user, "
        ".\\user or user@domain.tld (no \" / [ ] : ; | = , + * ? < > and no control characters)"),
    And(_not_service_account, error="{!r} cannot be the task's account: WSL "
        "distributions are per user, so the task must run as the account that owns the distro"),
))

# --- start, booleans --------------------------------------------------------------------------

START = Schema(And(
    Or(str, error="must be 'boot' or 'logon', got {!r}"),
    Use(str.lower),
    lambda s: s in limits.START_WORDS,
    error="{!r} must be 'boot' (before anyone logs on) or 'logon'",
))
BOOLEAN = Schema(Or(bool, error="must be true or false, got {!r}"))

# --- IPv4 listen address ----------------------------------------------------------------------


def _ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise FieldError(f"{describe(value)} is not an IPv4 address: portproxy v4tov4 listens "
                         "on IPv4 only, e.g. 0.0.0.0 or 192.168.0.12") from None


def listen_address(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(f"must be an IPv4 address as text, got {describe(value)}")
    return _ipv4(value)


# --- durations --------------------------------------------------------------------------------

_DURATION = re.compile(limits.DURATION)


def duration(value: Any) -> int:
    """``90``, ``"90s"``, ``"5m"``, ``"1h30m"`` -> seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) and value.strip() else None
    if match is None:
        raise FieldError(f"{describe(value)} is not a duration: write e.g. 90s, 5m, 1h30m "
                         "or a number of seconds")
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return h * 3600 + m * 60 + s


def bounded_duration(low: int, high: int, zero_ok: bool = False) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        seconds = duration(value)
        if zero_ok and seconds == 0:
            return 0
        if not low <= seconds <= high:
            extra = " (0 turns it off)" if zero_ok else ""
            raise FieldError(f"{describe(value)} must be between {_human(low)} and "
                             f"{_human(high)}{extra}")
        return seconds
    return check


def _human(seconds: int) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --- install_dir ------------------------------------------------------------------------------

_ROOTS = {f"%{root.lower()}%": root for root in limits.INSTALL_ROOTS}
_SEGMENT = re.compile(limits.FOLDER_NAME)


def install_dir(value: Any) -> InstallDir:
    if not isinstance(value, str):
        raise FieldError(f"must be a Windows folder path as text, got {describe(value)}")
    head, *parts = value.rstrip("\\").split("\\")
    root = _ROOTS.get(head.lower())
    drive = head.upper() if re.fullmatch(limits.DRIVE, head) else None
    good = all(_SEGMENT.fullmatch(p) and p.strip(" .") == p and p not in (".", "..")
               for p in parts)
    if (root is None and drive is None) or not parts or not good:
        raise FieldError(
            f"{describe(value)} is not an absolute folder: start with %ProgramData%, "
            "%ProgramFiles%, %SystemDrive% or a drive letter, then folder names of letters, "
            "digits, spaces and . _ ( ) - (no '..', no other variables)")
    return InstallDir(root, drive, tuple(parts))


# --- firewall ---------------------------------------------------------------------------------

_KEYWORDS = {k.lower(): k for k in ("Any", "LocalSubnet", "DNS", "DHCP", "WINS",
                                    "DefaultGateway", "Internet", "Intranet",
                                    "IntranetRemoteAccess", "PlayToDevice")}
PROFILES = {p.lower(): p for p in limits.PROFILES}


def remote_address(value: Any) -> str:
    """A firewall keyword, an address, a CIDR network or an ``a-b`` address range."""
    if not isinstance(value, str):
        raise FieldError(f"{describe(value)} must be text: an address, a CIDR or a keyword")
    if value.lower() in _KEYWORDS:
        return _KEYWORDS[value.lower()]
    try:
        if "-" in value:
            first, last = (ipaddress.ip_address(p) for p in value.split("-", 1))
            if first.version != last.version or int(first) > int(last):
                raise ValueError
            return f"{first}-{last}"
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise FieldError(
            f"{describe(value)} is not an address, CIDR network (10.0.0.0/8), range "
            f"(10.0.0.1-10.0.0.9) or firewall keyword ({', '.join(sorted(_KEYWORDS.values()))})"
        ) from None


def profile(value: Any) -> str:
    if isinstance(value, str) and value.lower() in PROFILES:
        return PROFILES[value.lower()]
    raise FieldError(f"{describe(value)} is not a firewall profile: use Domain, Private, "
                     "Public or Any")


def schema_check(rule: Schema) -> Callable[[Any], Any]:
    """Turn a ``schema`` rule into a validator raising ``FieldError``."""
    return lambda value: _run(rule, value)

