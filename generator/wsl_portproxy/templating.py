"""The one Jinja environment factory and the escaping filters every template uses.

Values reach PowerShell only through ``ps_str`` / ``ps_int`` / ``ps_bool`` / ``ps_list``,
reach XML only through autoescape (``.xml.j2`` templates), reach PowerShell comments only
through ``ps_comment``, README text only through ``one_line``, the fleet folder's Ansible
inventory only through ``yaml_str`` and ``yaml_comment``, and its server list (JSON) only
through ``json_str``.
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path
from typing import Any

import jinja2

# Characters PowerShell treats as a single quote inside a single-quoted string: each is doubled.
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_DOUBLE_QUOTES = str.maketrans({quote: quote * 2 for quote in _PS_SINGLE_QUOTES})
_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\n\u2028\u2029\x85\x0b\x0c", " "))


def package_folder(name: str) -> Path:
    """The folder of the package ``wsl_portproxy.<name>``: one lookup serves a checkout (the
    editable install maps ``templates``, ``runtime`` and ``examples`` to the repository's
    top-level folders), a wheel and the one-file program."""
    package = importlib.import_module(f"wsl_portproxy.{name}")
    folders = [Path(folder) for folder in getattr(package, "__path__", [])]
    if len(folders) != 1:
        raise FileNotFoundError(f"the package wsl_portproxy.{name} has no single folder: {folders}")
    return folders[0].resolve()


def templates_dir() -> Path:
    """The per-server and fleet templates (``*.j2``): the package ``wsl_portproxy.templates``."""
    return package_folder("templates")


def runtime_dir() -> Path:
    """What runs on a server, copied byte for byte: the module, the entry scripts and the fleet
    folder's static files (the package ``wsl_portproxy.runtime``)."""
    return package_folder("runtime")


def ps_str(value: Any) -> str:
    """A PowerShell single-quoted literal: nothing inside it is ever evaluated."""
    if not isinstance(value, str):
        raise TypeError(f"ps_str expects text, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError("NUL cannot appear in a PowerShell string")
    return f"'{value.translate(_DOUBLE_QUOTES)}'"


def ps_int(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"ps_int expects an integer, got {value!r}")
    return str(value)


def ps_bool(value: Any) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"ps_bool expects a boolean, got {value!r}")
    return "$true" if value else "$false"


def ps_list(values: Any) -> str:
    """``@('a', 'b')`` from a sequence of strings."""
    return "@(" + ", ".join(ps_str(v) for v in values) + ")"


def one_line(value: Any) -> str:
    """Text for a README line: line breaks become spaces."""
    return str(value).translate(_LINE_BREAKS)


def ps_comment(value: Any) -> str:
    """Text inside a PowerShell comment: one line, and never the end of a block comment."""
    return one_line(value).replace("#>", "# >")


def yaml_str(value: Any) -> str:
    """A YAML single-quoted scalar: no escape sequences inside; a quote is doubled."""
    if not isinstance(value, str):
        raise TypeError(f"yaml_str expects text, got {type(value).__name__}")
    if any(ord(c) < 0x20 or c in "\x7f\x85\u2028\u2029" for c in value):
        raise ValueError("a control character or line break cannot appear in a YAML scalar here")
    return "'" + value.replace("'", "''") + "'"


def yaml_comment(value: Any) -> str:
    """Text inside a YAML comment: one line."""
    return one_line(value)


def json_str(value: Any) -> str:
    """A JSON string, ASCII only (every other character escaped), so no encoding can change it."""
    if not isinstance(value, str):
        raise TypeError(f"json_str expects text, got {type(value).__name__}")
    return json.dumps(value, ensure_ascii=True)


def task_duration(seconds: Any) -> str:
    """Seconds -> an XML Schema duration as Task Scheduler writes it (``PT5M``)."""
    seconds = int(ps_int(seconds))
    if seconds == 0:
        return "PT0S"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs else "")


def human_duration(seconds: Any) -> str:
    """Seconds -> ``90 seconds``, ``5 minutes``, ``1 hour 30 minutes`` for people."""
    seconds = int(ps_int(seconds))
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 seconds"


@functools.lru_cache(maxsize=1)
def make_environment() -> jinja2.Environment:
    """The one environment (cached: compiling the templates once per process is enough)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".xml.j2")),
        keep_trailing_newline=True,
        newline_sequence="\r\n",  # every generated file uses CRLF
        auto_reload=False,  # templates do not change during a run: no stat per render
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(ps_str=ps_str, ps_int=ps_int, ps_bool=ps_bool, ps_list=ps_list,
                       one_line=one_line, ps_comment=ps_comment, task_duration=task_duration,
                       human_duration=human_duration, yaml_str=yaml_str,
                       yaml_comment=yaml_comment, json_str=json_str)
    return env
