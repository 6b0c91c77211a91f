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
from .messages import CATALOG, show, text, visible
from .model import InstallDir


class FieldError(ValueError):
    """A single value is wrong; the message says why."""


def _run(rule: Schema, value: Any) -> Any:
    """Validate; a rule's ``error`` is a message code of the catalog, filled in with the value."""
    try:
        return rule.validate(value)
    except SchemaError as exc:
        said = [m for m in exc.errors if m]
        if not said:
            raise FieldError("invalid value") from exc
        last = said[-1]
        raise FieldError(text(last, value=show(value)) if last in CATALOG else last) from exc


def _refuse(code: str, **fields: Any) -> SchemaError:
    """For a check inside a rule whose message needs more than the value."""
    return SchemaError(None, text(code, **fields))


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


NAME = Schema(And(Or(str, error="not-text"), _computer_name, error="name-invalid"))

# --- WSL distro -------------------------------------------------------------------------------

DISTRO = Schema(And(Or(str, error="not-text"),
                   lambda s: re.fullmatch(limits.DISTRO_NAME, s) is not None,
                   error="distro-invalid"))

# --- run_as -----------------------------------------------------------------------------------

# Built-in service accounts in every spelling (name, "NT AUTHORITY\\name", SID), compared without
# case and spaces; the domain part is ignored, since it is localized ("NT-AUTORITAT").
_SERVICE_ACCOUNTS = {"system": "SYSTEM", "localsystem": "SYSTEM", "s-1-5-18": "SYSTEM",
                     "localservice": "LOCAL SERVICE", "s-1-5-19": "LOCAL SERVICE",
                     "networkservice": "NETWORK SERVICE", "s-1-5-20": "NETWORK SERVICE"}
# Well-known groups (Microsoft Docs, "Well-known SIDs"): a task's principal is one user.
_GROUPS = {"administrators", "users", "guests", "everyone", "authenticatedusers", "interactive",
           "powerusers", "remotedesktopusers", "backupoperators", "domainadmins", "domainusers",
           "enterpriseadmins", "s-1-1-0", "s-1-5-11", "s-1-5-4", "s-1-5-32-544", "s-1-5-32-545",
           "s-1-5-32-546"}
_DOMAIN = r"(?:\.|[A-Za-z0-9][A-Za-z0-9.-]{0,62})"
_SAM = r"[^\"/\\\[\]:;|=,+*?<>@\x00-\x1f\x7f]{1,20}"
_UPN = r"[^\"/\\\[\]:;|=,+*?<>@\x00-\x1f\x7f\s]{1,64}@[A-Za-z0-9.-]{1,253}"
_ACCOUNT = re.compile(rf"{_DOMAIN}\\{_SAM}|{_UPN}")


def _account(value: str) -> str:
    """``DOMAIN\\user``, ``.\\user`` or ``user@domain.tld``: one user that can own a distro."""
    user = value.split("@", 1)[0] if "@" in value and "\\" not in value else value.rsplit("\\", 1)[-1]
    key = user.replace(" ", "").lower()
    if key in _SERVICE_ACCOUNTS:
        raise _refuse("run-as-service", account=_SERVICE_ACCOUNTS[key], value=show(value))
    if key in _GROUPS:
        raise _refuse("run-as-group", value=show(value))
    if "\\" in value and len(user) > 20:
        raise _refuse("run-as-too-long", value=show(value), length=len(user))
    if "\\" not in value and "@" not in value and re.fullmatch(_SAM, value):
        raise _refuse("run-as-unqualified", value=show(value), user=visible(value))
    if not (_ACCOUNT.fullmatch(value) and value == value.strip() and value.isprintable()):
        raise _refuse("run-as-form", value=show(value))
    return value


RUN_AS = Schema(And(Or(str, error="not-text"), Use(_account)))


# --- start, booleans --------------------------------------------------------------------------

START = Schema(And(Or(str, error="start-invalid"), Use(str.lower), lambda s: s in limits.START_WORDS,
                   error="start-invalid"))
BOOLEAN = Schema(Or(bool, error="not-boolean"))

# --- listen address (IPv4: v4tov4 rules; IPv6: v6tov4 rules) ----------------------------------


def _unreachable(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why LAN clients can never reach ``address``, if so (0.0.0.0 and :: mean every address)."""
    if isinstance(address, ipaddress.IPv6Address):
        return _unreachable_v6(address)
    return _unreachable_v4(address)


def _unreachable_v4(address: ipaddress.IPv4Address) -> str | None:
    if address.is_loopback:
        return "a loopback address (and WSL's own localhost relay uses it)"
    if address.is_multicast:
        return "a multicast address"
    if address == ipaddress.IPv4Address("255.255.255.255"):
        return "the broadcast address"
    if address in ipaddress.IPv4Network("0.0.0.0/8") and int(address) != 0:
        return "in 0.0.0.0/8 ('this network'), which no host has"
    if address.is_reserved:
        return "a reserved address (240.0.0.0/4)"
    return None


def _unreachable_v6(address: ipaddress.IPv6Address) -> str | None:
    if address.scope_id:
        return "an address with a zone index (a portproxy rule cannot hold one)"
    if address.ipv4_mapped is not None:
        return f"an IPv4-mapped address (write {address.ipv4_mapped}: an IPv4 listener)"
    if address.is_loopback:
        return "the loopback address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address (it needs a zone index, which a portproxy rule cannot hold)"
    return None


def listen_address(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(text("not-text", value=show(value)))
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise FieldError(text("not-ip-address", value=show(value))) from None
    kind = _unreachable(address)
    if kind:
        raise FieldError(text("listen-unreachable", value=show(value), kind=kind))
    return address.compressed


# --- durations --------------------------------------------------------------------------------

_DURATION = re.compile(limits.DURATION)


def duration(value: Any) -> int:
    """``90``, ``"90s"``, ``"5m"``, ``"1h30m"`` -> seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) and value.strip() else None
    if match is None:
        raise FieldError(text("duration-invalid", value=show(value)))
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return h * 3600 + m * 60 + s


def bounded_duration(low: int, high: int, zero_ok: bool = False) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        seconds = duration(value)
        if zero_ok and seconds == 0:
            return 0
        extra = " (0 turns it off)" if zero_ok else ""
        if seconds < low and isinstance(value, int) and low >= 60:
            raise FieldError(text("duration-bare-number", value=show(value), low=_human(low),
                                  extra=extra))
        if not low <= seconds <= high:
            raise FieldError(text("duration-range", value=show(value), low=_human(low),
                                  high=_human(high), extra=extra))
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
        raise FieldError(text("not-text", value=show(value)))
    head, *parts = value.rstrip("\\").split("\\")
    root = _ROOTS.get(head.lower())
    drive = head.upper() if re.fullmatch(limits.DRIVE, head) else None
    good = all(_SEGMENT.fullmatch(p) and p.strip(" .") == p and p not in (".", "..")
               for p in parts)
    if (root is None and drive is None) or not parts or not good:
        raise FieldError(text("install-dir-invalid", value=show(value)))
    return InstallDir(root, drive, tuple(parts))


def metrics_file(value: Any) -> InstallDir | None:
    """A windows_exporter textfile: an absolute path like install_dir's whose file name ends in
    ``.prom``; null means off."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(text("not-text", value=show(value)))
    try:
        path = install_dir(value)
    except FieldError:
        path = None
    name = path.parts[-1] if path else ""
    if path is None or value.endswith("\\") or not re.fullmatch(limits.PROM_FILE_NAME, name):
        raise FieldError(text("metrics-file-invalid", value=show(value)))
    return path


# --- firewall ---------------------------------------------------------------------------------

_KEYWORDS = {k.lower(): k for k in ("Any", "LocalSubnet", "DNS", "DHCP", "WINS",
                                    "DefaultGateway", "Internet", "Intranet",
                                    "IntranetRemoteAccess", "PlayToDevice")}
PROFILES = {p.lower(): p for p in limits.PROFILES}


def remote_address(value: Any) -> str:
    """A firewall keyword, an address, a CIDR network or an ``a-b`` address range."""
    if not isinstance(value, str):
        raise FieldError(text("not-text", value=show(value)))
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
        raise FieldError(text("remote-invalid", value=show(value),
                              keywords=", ".join(sorted(_KEYWORDS.values())))) from None


def profile(value: Any) -> str:
    if isinstance(value, str) and value.lower() in PROFILES:
        return PROFILES[value.lower()]
    raise FieldError(text("profile-invalid", value=show(value)))


def schema_check(rule: Schema) -> Callable[[Any], Any]:
    """Turn a ``schema`` rule into a validator raising ``FieldError``."""
    return lambda value: _run(rule, value)

