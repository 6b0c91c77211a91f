"""One source of truth for every inventory constraint.

The validators (fields.py, ports.py, validate.py) and the JSON Schema (json_schema.py) are both
built from these values; tests/test_json_schema.py checks that they judge alike.
"""

from __future__ import annotations

# Patterns without anchors: validators use re.fullmatch, the JSON Schema adds ^...$.
COMPUTER_NAME = r"[A-Za-z0-9-]{1,15}"
DISTRO_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
FOLDER_NAME = r"[A-Za-z0-9 ._()-]{1,64}"
DRIVE = r"[A-Za-z]:"
PROM_FILE_NAME = r"[A-Za-z0-9 ._()-]{1,59}\.[pP][rR][oO][mM]"  # windows_exporter reads *.prom
DURATION = r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?"
PORT_RANGE = r"(\d+)(?:-(\d+))?"

INSTALL_ROOTS = ("ProgramData", "ProgramFiles", "SystemDrive")
START_WORDS = ("boot", "logon")
PROFILES = ("Domain", "Private", "Public", "Any")
PORT_MIN, PORT_MAX = 1, 65535
WAIT_FOR_WSL = (1, 3600)        # seconds: 1 s to 1 h
RECHECK_EVERY = (60, 86400)     # seconds: 1 min to 24 h, or 0 (off)

# Size limits. The settings file is read on the server with Import-PowerShellDataFile, which in
# Windows PowerShell 5.1 refuses a file past about 5,000 syntax nodes (and has no
# -SkipLimitCheck; PowerShell/PowerShell#7979, #13672). A port entry costs about 11 nodes plus
# one per allow_from address, so these limits keep the largest accepted server far below it
# (tests/powershell/gate/Gate.Tests.ps1 reads the largest accepted settings file).
MAX_PORT_ENTRIES = 100          # entries of ports per server
MAX_ALLOW_FROM = 20             # addresses in one allow_from list
# Each forwarded port is a portproxy rule that IP Helper listens on and the watcher checks at
# every re-check; "1-65535" would be 65,535 of them.
MAX_FORWARDED_PORTS = 1000      # ports (rules) per server, ranges counted port by port
# auto_ports: the engines whose published ports can be followed, and the allow-list's size.
AUTO_ENGINES = ("podman", "docker")
AUTO_KEYS = ("from", "allow")
MAX_AUTO_ALLOW = 20             # entries of auto_ports.allow
# The inventory file itself (10,000 servers of 10 ports each: 1.2 MB, 170,000 YAML values). The
# values are counted while parsing, before anything is built, and again as aliases expand, so
# neither a dense file nor an alias bomb can take more than about 150 MB.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_YAML_VALUES = 400_000
MAX_DEPTH = 20                  # nesting levels (an inventory needs 6)
