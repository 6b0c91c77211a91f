#!/usr/bin/env python3
"""Fake Windows programs for the Pester suite: wsl.exe, netsh.exe, podman.exe, whoami.exe, icacls.exe,
taskkill.exe.

Usage: fakewin.py STATE_DIR PROGRAM [ARGS...]; or, on Windows, a copy of this script frozen
into an .exe and named after the program (wsl.exe, ...), with STATE_DIR in WSLPP_SIM_STATE.
Each program reads and writes JSON files in
STATE_DIR, so tests can set the scene and inspect the result, and appends one line per call
to STATE_DIR/calls.log. Behaviour follows the real programs where the generated scripts
depend on it (exit codes, the locale-independent parts of messages).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PORTPROXY = "portproxy.json"  # the registry key ...\PortProxy\v4tov4\tcp; absent = no key
# netsh interface portproxy's forms (Microsoft Docs, "Netsh interface portproxy commands"): v4tov4
# listens on an IPv4 address, v6tov4 on an IPv6 one, both connect to an IPv4 address; each form
# has its own registry key (...\PortProxy\v6tov4\tcp: portproxy-v6.json).
PORTPROXY_FILES = {"v4tov4": PORTPROXY, "v6tov4": "portproxy-v6.json"}


class Sim:
    def __init__(self, state: Path):
        self.state = state

    def read(self, name: str, default: Any) -> Any:
        path = self.state / name
        if not path.exists():
            return default
        return json.loads(path.read_text(encoding="utf-8"))

    def write(self, name: str, data: Any) -> None:
        """Atomic: written aside under a name of this process's own, then renamed over the file, so
        a reader sees the old or the new state, never a part. On Windows the rename fails while
        another process has the file open without FILE_SHARE_DELETE: retried for up to 5 s."""
        tmp = self.state / f"{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        deadline = time.monotonic() + 5
        while True:
            try:
                tmp.replace(self.state / name)
                return
            except PermissionError:
                if time.monotonic() >= deadline:
                    tmp.unlink(missing_ok=True)
                    raise
                time.sleep(0.02)

    def log(self, line: str) -> None:
        with open(self.state / "calls.log", "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def wsl_say(text: str) -> None:
    """wsl.exe's own messages: UTF-16LE unless WSL_UTF8=1."""
    if os.environ.get("WSL_UTF8") == "1":
        sys.stdout.write(text + "\n")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write((text + "\r\n").encode("utf-16-le"))


def package_wsl() -> str:
    """The WSL package's wsl.exe (WSL >= 2.0): %ProgramFiles%\\WSL\\wsl.exe."""
    # Windows variable names ignore case; the simulation sets them exactly so on POSIX.
    return os.path.join(os.environ.get("ProgramFiles", r"C:\Program Files"), "WSL", "wsl.exe")  # noqa: SIM112


def session0_refuses(sim: Sim, wsl_path: str) -> bool:
    """Before anyone logs on (session 0) only the WSL package's wsl.exe works; the inbox
    System32 one and the WindowsApps alias fail with "The file cannot be accessed by the
    system." (microsoft/WSL#9231, #9271; containers/podman#22513). session.json {session0: true}."""
    if not sim.read("session.json", {}).get("session0"):
        return False
    return os.path.realpath(wsl_path) != os.path.realpath(package_wsl())


# The account the simulated scene is made for (New-SimulatedWindows: CORP\svc-podman): the owner
# of a distribution or podman machine whose entry names none.
DEFAULT_OWNER = "CORP\\svc-podman"


def caller() -> str:
    """The account this program runs as: USERDOMAIN\\USERNAME of its environment (the stand-in
    for the process token; no USERNAME = the scene's account)."""
    if not os.environ.get("USERNAME"):
        return DEFAULT_OWNER
    return f"{os.environ.get('USERDOMAIN', '')}\\{os.environ['USERNAME']}"


def owned_by_caller(entry: dict[str, Any]) -> bool:
    """WSL distributions are registered per user: microsoft/WSL src/windows/common/registry.cpp
    OpenLxssUserKey (l.302-309 at HEAD 3e27a6a50177) opens HKCU\\Software\\Microsoft\\Windows\\
    CurrentVersion\\Lxss of the caller, whom the service impersonates first (LxssUserSession.cpp:4170);
    each distribution is a {GUID} subkey there (DistributionRegistration::Create l.59-118). So
    another account sees none of them. An entry's "owner" (default DEFAULT_OWNER) is compared
    case-insensitively, as Windows compares account names."""
    return str(entry.get("owner", DEFAULT_OWNER)).lower() == caller().lower()


def visible_distros(config: dict[str, Any]) -> dict[str, Any]:
    """The distributions the calling account has registered; a name is looked up case-insensitively
    (GetDistributionId, LxssUserSession.cpp:1267-1300), so the key is the name as registered."""
    return {name: d for name, d in config["distros"].items() if owned_by_caller(d)}


def find_distro(distros: dict[str, Any], name: str) -> str | None:
    """The registered name that matches name, ignoring case (GetDistributionId), or None."""
    return next((known for known in distros if known.lower() == name.lower()), None)


def wsl(sim: Sim, args: list[str]) -> int:  # noqa: PLR0911 (one return per wsl.exe outcome)
    sim.log("wsl " + " ".join(args))
    with open(sim.state / "wsl-utf8.log", "a", encoding="utf-8") as handle:  # what WSL_UTF8 was per call
        handle.write(os.environ.get("WSL_UTF8", "(unset)") + "\n")
    if session0_refuses(sim, SELF):
        wsl_say("The file cannot be accessed by the system.")
        return 1
    config = sim.read("wsl.json", {"distros": {}})
    distros: dict[str, Any] = visible_distros(config)
    if args[:1] in (["-l"], ["--list"]):
        return wsl_list(distros, args)
    if len(args) < 3 or args[0] not in ("-d", "--distribution") or args[2] not in ("-e", "--exec"):
        wsl_say(f"fake wsl.exe: unsupported arguments {args}")
        return 1
    name, command = find_distro(distros, args[1]) or args[1], args[3:]
    if name in distros and distros[name].get("hang", 0) != 0 and command[:2] == ["sh", "-c"]:
        # wsl.json distro "hang": the next N commands run in it hang (-1: every one)
        if distros[name]["hang"] > 0:
            distros[name]["hang"] -= 1
            sim.write("wsl.json", config)
        hang(sim, "wsl " + " ".join(args))
    if command == ["sleep", "infinity"] and name in distros:
        if distros[name].get("keepalive_denied"):
            # wsl.exe ends at once when it cannot start the process (the text is illustrative):
            # a keep-alive that dies right after it starts.
            wsl_say("Access is denied.")
            return 1
        return keep_alive(sim, name, distros[name].get("generation", 0))
    if name not in distros:
        return distro_not_found(config)
    return distro_command(sim, config, distros[name], command)


def wsl_list(distros: dict[str, Any], args: list[str]) -> int:
    """``wsl.exe --list --quiet``: the account's distributions; with ``--running`` only the running
    ones (Learn "Basic commands for WSL"). With none running, wsl.exe says so in the system language
    and exits non-zero (wording illustrative)."""
    if args in (["-l", "-q"], ["--list", "--quiet"]):
        for name in distros:
            wsl_say(name)
        return 0
    if args in (["-l", "--running", "-q"], ["--list", "--running", "--quiet"]):
        running = [name for name in distros if not distros[name].get("stopped")]
        for name in running:
            wsl_say(name)
        if not running:
            wsl_say("There are no running distributions.")
            return 1
        return 0
    wsl_say(f"fake wsl.exe: unsupported arguments {args}")
    return 1


def distro_command(sim: Sim, config: dict[str, Any], distro: dict[str, Any], command: list[str]) -> int:
    """The Linux commands the module runs in the distribution."""
    if command == ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]:
        return eth0(sim, config, distro)
    if command == ["sh", "-c", PROBE]:
        code = eth0(sim, config, distro)
        networking_mode(distro)
        return code
    if command == ["sh", "-c", DOCKER_PROBE]:
        return docker_ps(distro)
    if command == ["sh", "-c", INTEROP_PROBE]:
        # init sets WSL_INTEROP in a process it starts only when interop is on for the distribution:
        # the machine-wide switch and /etc/wsl.conf [interop] enabled (microsoft/WSL
        # src/linux/init/init.cpp, CreateProcessUtilityVm: InteropEnabled = the create-process flag
        # && Config.InteropEnabled, then AddVariable(WSL_INTEROP); at 3e27a6a5). wsl.json's distro
        # "interop": false models enabled=false; absent = WSL's default, on.
        print("interop-on" if distro.get("interop", True) else "interop-off")
        return 0
    print(f"fake distro: unsupported command {command}", file=sys.stderr)
    return 127


def distro_not_found(config: dict[str, Any]) -> int:
    """The message is in the system language, and only the WSL package (>= 2.0) adds the error
    code line (docs/windows-facts.md, row "A distribution name wsl.exe does not know"): wsl.json's
    "locale" ("de", "fr") is an inbox wsl.exe on such a server (wording illustrative). A script
    must ask --list --quiet."""
    localized = {"de": "Es gibt keine Verteilung mit dem angegebenen Namen.",
                 "fr": "Aucune distribution portant le nom indiqué n\u2019a été trouvée."}
    if config.get("locale") in localized:
        wsl_say(localized[config["locale"]])
        return 255
    wsl_say("There is no distribution with the supplied name.")
    wsl_say("Error code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND")
    return 255


# The module's one-call probe: eth0's address, then the networking mode (wslinfo exists from WSL
# 2.0 on; its absence is not an error). The fake runs the two commands it knows.
PROBE = "ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true"


# The module's interop probe (-Preflight): whether init gave the process an interop server.
INTEROP_PROBE = 'if [ -n "$WSL_INTEROP" ]; then echo interop-on; else echo interop-off; fi'


# The module's Docker Engine probe: only when the socket exists does it ask the docker CLI.
DOCKER_PROBE = ("if [ -S /var/run/docker.sock ]; then docker ps --no-trunc --format '{{json .}}'; "
                "else echo 'no docker socket'; fi")


def docker_ps(distro: dict[str, Any]) -> int:
    """``docker ps --format '{{json .}}'``: one JSON object per running container, whose Ports is
    the text docker ps shows ("0.0.0.0:8080->80/tcp, :::8080->80/tcp"; docker/cli
    cli/command/formatter/container.go DisplayablePorts). wsl.json's distro "docker": null or
    absent = no socket; {"denied": true} = the account's WSL user is not in the docker group
    (docker's own wording); {"containers": [{"Names": "web", "Ports": "..."}]}."""
    docker = distro.get("docker")
    if docker is None:
        print("no docker socket")
        return 0
    if docker.get("denied"):
        print("permission denied while trying to connect to the Docker daemon socket at "
              "unix:///var/run/docker.sock", file=sys.stderr)
        return 1
    for container in docker.get("containers", []):
        print(json.dumps({"Command": '"/docker-entrypoint.sh"', "Names": container["Names"],
                          "Ports": container.get("Ports", ""), "State": "running"}))
    return 0


def eth0(sim: Sim, config: dict[str, Any], distro: dict[str, Any]) -> int:
    """``ip -4 -o addr show dev eth0``. In mirrored mode eth0 carries the host's own address
    (microsoft/WSL#11272; docs/windows-facts.md, row "In mirrored mode (and WSL 1) eth0 carries the
    host's own address")."""
    if distro.get("no_ip_for", 0) > 0:
        distro["no_ip_for"] -= 1
        sim.write("wsl.json", config)
        return 0
    if not distro.get("ip"):
        return 0
    ip = distro["ip"]
    print(f"6: eth0    inet {ip}/20 brd 172.28.255.255 scope global eth0\\       "
          "valid_lft forever preferred_lft forever")
    return 0


def networking_mode(distro: dict[str, Any]) -> None:
    """``wslinfo --networking-mode`` prints one word and a newline: microsoft/WSL
    src/linux/init/wslinfo.cpp, WslInfoEntry's switch on UtilGetNetworkingMode() (l.89-126 at HEAD
    3e27a6a50177; the same at tags 2.5.8 ... 2.9.4): ``nat``, ``bridged``, ``mirrored``,
    ``virtioproxy`` (tags 2.5.8 ... 2.8.12), renamed ``consomme`` from tag 2.9.0 (b9e1d7044, #40873;
    .wslconfig's networkingMode still accepts VirtioProxy as an alias, WslCoreConfig.h), ``none``
    (the default branch: also any mode it has no case for), and ``wsl1`` when the distribution
    runs under WSL 1 (not UtilIsUtilityVm()). wsl.json's distro ``networking_mode`` is printed as
    given, so a test can set any of these words, or a future one; absent = ``nat``; null models
    WSL 1.x, which has no wslinfo (the probe's ``2>/dev/null`` hides "not found": nothing printed)."""
    mode = distro.get("networking_mode", "nat")
    if mode is not None:
        print(mode)


def keep_alive(sim: Sim, name: str, generation: int) -> int:
    """``wsl --exec sleep infinity``: runs until this WSL instance stops or restarts."""
    while (sim.state / "wsl.json").exists():
        distro = sim.read("wsl.json", {"distros": {}})["distros"].get(name)
        if distro is None or distro.get("generation", 0) != generation or distro.get("stopped"):
            return 1
        time.sleep(0.05)
    return 1


def _netsh_args(words: list[str]) -> dict[str, str]:
    pairs = {}
    for word in words:
        key, _, value = word.partition("=")
        pairs[key.lower()] = value
    return pairs


def restart_wsl(sim: Sim, name: str, ip: str) -> None:
    """WSL restarts: a new instance (generation) with a new address; keep-alives end."""
    config = sim.read("wsl.json", {"distros": {}})
    distro = config["distros"][name]
    distro["ip"] = ip
    distro["generation"] = distro.get("generation", 0) + 1
    sim.write("wsl.json", config)
    with open(sim.state / "events.log", "a", encoding="utf-8") as handle:
        handle.write(f"{time.time()} restart {name} {ip}\n")


def netsh(sim: Sim, args: list[str]) -> int:
    sim.log("netsh " + " ".join(args))
    if len(args) == 2 and args[0].lower() == "-f":
        return netsh_script(sim, Path(args[1]))
    return netsh_command(sim, args)


def netsh_script(sim: Sim, script: Path) -> int:
    """``netsh -f FILE``: runs the commands in order and stops at the first that fails."""
    for line in script.read_text(encoding="ascii").splitlines():
        if line.strip():
            sim.log("netsh> " + line.strip())
            code = netsh_command(sim, line.split())
            if code != 0:
                return code
    return 0


EXCLUDED_HEADERS = {
    # The headers are in the system language (Microsoft Docs, netsh interface ipv4 show
    # excludedportrange; docs/windows-facts.md, row "netsh's output is localized"). "de" stands for any
    # non-English server: the wording is illustrative, the point is that only numbers are stable.
    "en": ("Protocol tcp Port Exclusion Ranges", "Start Port    End Port",
           "* - Administered port exclusions."),
    "de": ("Protokoll tcp Portausschlussbereiche", "Startport    Endport",
           "* - Verwaltete Portausschlüsse."),
}


def netsh_excluded(sim: Sim) -> int:
    """``netsh int ipv4 show excludedportrange protocol=tcp``: network.json's excluded_ranges,
    as Hyper-V/WinNAT reserve them at boot ([start, end]); an administered exclusion
    (``netsh int ipv4 add excludedportrange``; [start, end, "*"]) is marked ``*``."""
    network = sim.read("network.json", {})
    title, columns, footnote = EXCLUDED_HEADERS[network.get("locale", "en")]
    print(f"\n{title}\n\n{columns}\n----------    --------")
    for start, end, *administered in network.get("excluded_ranges", []):
        print(f"{start:>10}  {end:>10}" + ("     *" if administered else ""))
    print(f"\n{footnote}\n")
    return 0


def netsh_command(sim: Sim, args: list[str]) -> int:
    words = [a.lower() for a in args]
    if words[:1] in (["int"], ["interface"]) and words[1:] == ["ipv4", "show", "excludedportrange",
                                                             "protocol=tcp"]:
        return netsh_excluded(sim)
    if [a.lower() for a in args[:2]] != ["interface", "portproxy"] or len(args) < 4:
        print("The following command was not found: " + " ".join(args))
        return 1
    return netsh_portproxy(sim, args[2].lower(), args[3].lower(), _netsh_args(args[4:]))


def netsh_fault(sim: Sim) -> int | None:
    """The faults a test set in netsh-faults.json for this write (counted from 1): an exit code, or
    None to go on (restarting WSL first, if asked)."""
    faults = sim.read("netsh-faults.json", {"fail_write_numbers": [], "writes": 0})
    faults["writes"] += 1
    sim.write("netsh-faults.json", faults)
    if faults["writes"] in faults["fail_write_numbers"]:
        print("The requested operation requires elevation (Run as administrator).")
        return 1
    if faults["writes"] in faults.get("ignore_write_numbers", []):
        return 0  # says nothing, changes nothing: the script must notice from the registry
    restart = faults.get("restart_wsl_on_write")
    if restart and faults["writes"] == restart["write"]:
        restart_wsl(sim, restart["distro"], restart["ip"])
    return None


def _rule_name(address: str, port: str) -> str:
    """A rule's registry value name: 'address/port', an IPv6 address in its canonical form."""
    if ":" in address:
        address = ipaddress.IPv6Address(address).compressed
    return f"{address}/{port}"


def netsh_portproxy(sim: Sim, verb: str, kind: str, params: dict[str, str]) -> int:
    """``netsh interface portproxy add|set|delete v4tov4|v6tov4 ...``, with the faults a test sets."""
    if kind not in PORTPROXY_FILES or verb not in ("add", "set", "delete"):
        print(f"fake netsh: unsupported {verb} {kind}")
        return 1
    listen_v6 = ":" in params.get("listenaddress", "")
    if listen_v6 != (kind == "v6tov4") or ":" in params.get("connectaddress", ""):
        # the form names the families: listen IPv4 (v4tov4) or IPv6 (v6tov4), connect IPv4
        print("The parameter is incorrect.")
        return 1
    fault = netsh_fault(sim)
    if fault is not None:
        return fault
    rules = sim.read(PORTPROXY_FILES[kind], {})
    key = _rule_name(params.get("listenaddress", "0.0.0.0"), params["listenport"])
    for name in list(rules):  # netsh parses addresses: '2001:DB8::12' is '2001:db8::12' (unverified)
        if name != key and _rule_name(*name.rsplit("/", 1)) == key:
            rules[key] = rules.pop(name)
    if verb in ("set", "delete") and key not in rules:
        print("The system cannot find the file specified.")
        return 1
    if verb == "delete":
        del rules[key]
    else:
        if params.get("protocol", "tcp").lower() != "tcp":
            print("The parameter is incorrect.")
            return 1
        rules[key] = f"{params['connectaddress']}/{params.get('connectport', params['listenport'])}"
    sim.write(PORTPROXY_FILES[kind], rules)
    return 0


# The Podman release the simulated podman.exe is (podman.json "version"). 5.5.2, the last release
# with FindWSL, is the default, so that the scenes written before versions were modelled keep
# testing the LOCALAPPDATA arrangement; the tests of 5.6 and later set "version" themselves.
DEFAULT_PODMAN_VERSION = "5.5.2"


def podman_version(config: dict[str, Any]) -> tuple[int, int]:
    """(major, minor) of podman.json "version" ("5.6.0-rc1" -> (5, 6))."""
    major, minor = str(config.get("version", DEFAULT_PODMAN_VERSION)).split("-")[0].split(".")[:2]
    return int(major), int(minor)


def search_path(name: str) -> str | None:
    """The first folder of this process's PATH that holds NAME, as Go's exec.LookPath finds a
    program on Windows (PATH's folders in order; ';' there, ':' for the simulation's POSIX
    folders: os.pathsep); None when no folder holds it."""
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and os.path.isfile(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def find_wsl() -> str | None:
    """The wsl.exe ``podman machine`` runs up to Podman 5.5.x (containers/podman
    pkg/machine/wsl/wutil/wutil.go FindWSL, l.36-68, tags v5.0.0-v5.5.2):
    %LOCALAPPDATA% (else %USERPROFILE%\\AppData\\Local) \\Microsoft\\WindowsApps\\wsl.exe if it
    exists, else %SystemRoot% (else C:\\Windows) \\System32\\wsl.exe if it exists, else plain
    "wsl" from PATH. %ProgramFiles%\\WSL is looked at only through PATH, after both."""
    local = os.environ.get("LOCALAPPDATA") or (
        os.path.join(os.environ["USERPROFILE"], "AppData", "Local") if os.environ.get("USERPROFILE") else "")
    candidates = [os.path.join(local, "Microsoft", "WindowsApps", "wsl.exe")] if local else []
    system_root = os.environ.get("SystemRoot") or r"C:\Windows"  # noqa: SIM112 (see package_wsl)
    candidates.append(os.path.join(system_root, "System32", "wsl.exe"))
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    return search_path("wsl.exe")


def podman_wsl(config: dict[str, Any]) -> str | None:
    """The wsl.exe this podman runs: FindWSL up to 5.5.x; from 5.6.0 (5.6.0-rc1, commit b6eeaea7f3
    "Take path for wsl instead of forcing through WindowsApps") FindWSL is gone and
    wutil.go NewWSLCommand (l.30-34, v5.6.0 to main c6580b4a52) runs exec.Command("wsl", ...)
    with WSL_UTF8=1: "wsl" from the PATH podman.exe was started with. The WSL MSI appends
    %ProgramFiles%\\WSL to the system PATH last (microsoft/WSL msipackage/package.wix.in:56,
    Part="last", from 2.8.5), after %SystemRoot%\\System32, so a PATH as Windows has it finds the
    inbox System32\\wsl.exe first."""
    if podman_version(config) >= (5, 6):
        return search_path("wsl.exe")
    return find_wsl()


def machine_wsl(sim: Sim, config: dict[str, Any]) -> tuple[str | None, int]:
    """Runs the machine's wsl.exe as ``machine start`` and ``machine inspect`` do (inspect through
    the machine's State(): pkg/machine/wsl/stubber.go l.226-235, ``wsl -l --quiet --running``):
    (its path, 0), or (None, 125) after podman's error when it is not found or, from session 0,
    is not the WSL package's (session0_refuses)."""
    wsl_path = podman_wsl(config)
    if wsl_path is None:
        print('Error: exec: "wsl": executable file not found in %PATH%', file=sys.stderr)
        return None, 125
    if session0_refuses(sim, wsl_path):
        print(f"Error: {wsl_path}: The file cannot be accessed by the system.", file=sys.stderr)
        return None, 125
    return wsl_path, 0


def podman_ps(sim: Sim, config: dict[str, Any], connection: str | None) -> int:
    """``podman [--connection C] ps --format json``: the running containers of one connection as a
    JSON array ("[]" when none); each has "Names" (a list) and "Ports", a list of PortMapping
    (containers/common libnetwork/types/network.go: host_ip "" = all addresses, range = how many
    ports from host_port on, 0 or 1 = one; protocol "tcp", "udp", "sctp" or a comma list).
    ``podman machine init`` makes two connections, NAME (rootless) and NAME-root (rootful); the
    default one is used without --connection. podman.json "containers": {connection: [...]}; a
    container's "State" other than "running" is not listed. A machine that does not run cannot
    be reached (exit 125, as any podman error: podman(1) "Exit Codes")."""
    sim.log("podman ps " + (connection or "(default connection)"))
    connection = connection or config.get("default_connection", "podman-machine-default")
    machine = connection.removesuffix("-root")
    if machine not in config["machines"]:
        print(f'Error: failed to resolve active destination: "{connection}" service destination not found',
              file=sys.stderr)
        return 125
    if config["machines"][machine] != "running":
        print("Error: unable to connect to Podman socket: failed to connect: dial tcp 127.0.0.1:51234: "
              "connectex: No connection could be made because the target machine actively refused it.",
              file=sys.stderr)
        return 125
    fault = config.get("ps_fault")  # {"message": "..."}: the engine fails (exit 125, podman(1))
    if fault:
        print(fault["message"], file=sys.stderr)
        return 125
    listed = config.get("containers", {}).get(connection, [])
    running = [c for c in listed if c.get("State", "running") == "running"]
    print(json.dumps([{"Id": f"{i:064x}", "Names": c["Names"], "Ports": c.get("Ports"), "State": "running"}
                      for i, c in enumerate(running)], indent=4))
    return 0


def podman_events(sim: Sim, config: dict[str, Any], connection: str | None) -> int:
    """``podman [--connection C] events --format json --filter type=container``: streams one JSON
    object per event (libpod/events/config.go Event: ID, Image, Name, Status, Time, Type; Status
    "start", "stop", "died", "remove", ...) as it happens, until interrupted. Over a machine
    connection the stream ends when the connection does: the machine stops or its VM (WSL)
    restarts. The tests append events to events-<connection>.jsonl (only those written after the
    stream started are sent); podman.json "events_fault" {"message"} fails at once, and
    "events_die" {"message"} ends a running stream (both exit 125, as any podman error)."""
    connection = connection or config.get("default_connection", "podman-machine-default")
    machine = connection.removesuffix("-root")
    if config["machines"].get(machine) != "running":
        print("Error: unable to connect to Podman socket: failed to connect", file=sys.stderr)
        return 125
    if config.get("events_fault"):
        print(config["events_fault"]["message"], file=sys.stderr)
        return 125
    generation = sim.read("wsl.json", {"distros": {}})["distros"].get(machine, {}).get("generation", 0)
    path = sim.state / f"events-{connection}.jsonl"
    offset = path.stat().st_size if path.exists() else 0
    sim.log(f"podman events {connection}")  # from here on, every appended event is sent
    while True:
        time.sleep(0.05)
        now = sim.read("podman.json", {"machines": {}})
        distro = sim.read("wsl.json", {"distros": {}})["distros"].get(machine, {})
        died = now.get("events_die")
        if now["machines"].get(machine) != "running" or distro.get("generation", 0) != generation or died:
            message = died["message"] if died else "Error: connection to the podman machine was lost"
            print(message, file=sys.stderr)
            return 125
        if path.exists() and path.stat().st_size > offset:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            offset += len(complete)
            sys.stdout.write(complete.decode("utf-8"))
            sys.stdout.flush()


def foreign_machine(config: dict[str, Any], machine: str) -> bool:
    """Podman's machines and connections are per user: their files are under the caller's
    %USERPROFILE% (containers/podman pkg/machine: the machine config in
    %USERPROFILE%\\.config\\containers\\podman\\machine, the connections in the user's
    podman-connections.json), and the WSL distribution is the caller's own (owned_by_caller).
    podman.json "owners": {machine: account}, default DEFAULT_OWNER; another account's machine is
    one that does not exist."""
    owner = str(config.get("owners", {}).get(machine, DEFAULT_OWNER))
    return machine in config["machines"] and owner.lower() != caller().lower()


def podman(sim: Sim, args: list[str]) -> int:
    sim.log("podman " + " ".join(args))
    config = sim.read("podman.json", {"machines": {}})
    if args == ["--version"]:  # cmd/podman: "podman version X" (cobra's version template)
        print(f"podman version {config.get('version', DEFAULT_PODMAN_VERSION)}")
        return 0
    connection = None
    if args[:1] == ["--connection"] and len(args) > 1:
        connection, args = args[1], args[2:]
    machine = (connection or config.get("default_connection", "podman-machine-default")).removesuffix("-root")
    if args[:1] == ["machine"] and len(args) == 3:
        machine = args[2]
    if foreign_machine(config, machine):
        if args[:1] == ["machine"]:
            print(f"Error: {machine}: VM does not exist", file=sys.stderr)
        else:
            print(f'Error: failed to resolve active destination: "{connection or machine}" '
                  "service destination not found", file=sys.stderr)
        return 125
    if args == ["ps", "--format", "json"]:
        return podman_ps(sim, config, connection)
    if args == ["events", "--format", "json", "--filter", "type=container"]:
        return podman_events(sim, config, connection)
    if args[:2] not in (["machine", "start"], ["machine", "inspect"]) or len(args) != 3:
        print(f"fake podman: unsupported {args}", file=sys.stderr)
        return 125
    return podman_machine(sim, config, args[1], args[2])


def podman_machine(sim: Sim, config: dict[str, Any], verb: str, name: str) -> int:
    """``podman machine inspect NAME`` and ``podman machine start NAME``; both run wsl.exe
    (machine_wsl), ``podman ps`` and ``podman events`` do not: they go over the machine's
    connection (pkg/machine/provider/platform_windows.go only reads the configuration)."""
    machines = config["machines"]
    if name not in machines:
        print(f"Error: {name}: VM does not exist", file=sys.stderr)
        return 125
    wsl_path, failed = machine_wsl(sim, config)
    if wsl_path is None:
        return failed
    if verb == "inspect":
        rootful = name in config.get("rootful", [])  # podman machine set --rootful
        print(json.dumps([{"Name": name, "State": machines[name], "Rootful": rootful}], indent=2))
        if machines[name] == "starting":  # a start in progress completes: the next inspect says running
            machines[name] = "running"
            sim.write("podman.json", config)
        return 0
    if machines[name] in ("running", "starting"):
        # containers/podman machine start on a running machine, exit 125: v5.4.0 and later "unable to
        # start NAME: already running"; v5.0.0-v5.3.x "machine NAME: VM already running or starting".
        said = f"machine {name}: VM already running or starting"
        if podman_version(config) >= (5, 4):
            said = "already running"
        print(f'Error: unable to start "{name}": {said}', file=sys.stderr)
        return 125
    fault = config.get("start_fault")  # {"exit": 125, "message": "..."} or {"stays": "stopped"}
    if fault and "exit" in fault:
        print(fault["message"], file=sys.stderr)
        return int(fault["exit"])
    machines[name] = fault["stays"] if fault else "running"
    sim.write("podman.json", config)
    sim.log(f"podman started {name} with {wsl_path}")
    print(f'Machine "{name}" started successfully')
    return 0


def whoami(sim: Sim, args: list[str]) -> int:
    sim.log("whoami " + " ".join(args))
    config = sim.read("whoami.json", {"elevated": True})
    print('"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"'
          if not config["elevated"] else
          '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Mandatory group, Enabled by default"')
    level = ("High Mandatory Level", "S-1-16-12288") if config["elevated"] else (
        "Medium Mandatory Level", "S-1-16-8192")
    print(f'"Mandatory Label\\{level[0]}","Label","{level[1]}",""')
    return 0


# A folder nobody locked has what its parent passes on; the Get-Acl stand-in (sim/Security.ps1)
# derives it from the roots' DACLs (docs/windows-facts.md, row "A new folder or file gets its parent's
# inheritable entries").
SID_ALIASES = {"*S-1-5-32-544": "BA", "*S-1-5-18": "SY"}
ACCOUNT_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"  # the task's account, whatever its name
RIGHTS = {"F": "FA", "RX": "0x1200a9"}


def icacls(sim: Sim, args: list[str]) -> int:
    """icacls PATH /setowner SID | /reset | /inheritance:r /grant:r ACE... [/T] [/C] [/Q] [/L].

    The owner and DACL of each path live in acl.json (read by the Get-Acl stand-in). Without /L
    icacls follows a symbolic link or junction and changes its target (Microsoft Docs, icacls:
    "/l Performs the operation on a symbolic link instead of its destination").
    """
    sim.log("icacls " + " ".join(args))
    calls = sim.read("icacls.json", [])
    calls.append(args)
    sim.write("icacls.json", calls)
    path = args[0]
    if "/L" not in [a.upper() for a in args[1:]] and os.path.islink(path):
        path = os.path.realpath(path)
    acls = sim.read("acl.json", {})
    entry = _acl_entry(acls, os.path.abspath(path))
    if "/setowner" in args:
        entry["owner"] = SID_ALIASES.get(args[args.index("/setowner") + 1], ACCOUNT_SID)
    if "/reset" in args:   # back to what the parent passes on (the Get-Acl stand-in derives it)
        entry.pop("dacl", None)
        entry["protected"] = False
    if "/grant:r" in args:
        aces = [a for a in args[args.index("/grant:r") + 1:] if ":" in a and not a.startswith("/")]
        entry["dacl"] = "".join(_ace(a) for a in aces)
        entry["protected"] = "/inheritance:r" in args
    sim.write("acl.json", acls)
    print("processed file: " + path)
    print("Successfully processed 1 files; Failed processing 0 files")
    return 0


def _acl_entry(acls: dict[str, Any], path: str) -> dict[str, Any]:
    """The entry of this very file: by inode (a security descriptor follows its file through a
    rename), else by path; a new entry is owned by Administrators and inherits its DACL."""
    inode = str(os.lstat(path).st_ino)
    for key, found in acls.items():
        if found.get("ino") == inode or (not found.get("ino") and key == path):
            entry: dict[str, Any] = found
            entry["ino"] = inode
            return entry
    entry = {"owner": "BA", "protected": False, "ino": inode}
    acls[path] = entry
    return entry


def _ace(grant: str) -> str:
    """'*S-1-5-18:(OI)(CI)F' -> '(A;OICI;FA;;;SY)'."""
    who, _, spec = grant.rpartition(":")
    flags = "".join(f for f in ("OI", "CI") if f"({f})" in spec)
    right = spec.replace("(OI)", "").replace("(CI)", "")
    return f"(A;{flags};{RIGHTS.get(right, right)};;;{SID_ALIASES.get(who, ACCOUNT_SID)})"


def hang(sim: Sim, what: str) -> None:
    """A program that hangs (wsl.exe can, for minutes or for good: microsoft/WSL#4144, #8529, #11067):
    it starts a child of its own that hangs too (as wsl.exe has its helpers), records both PIDs in
    hung.log and sleeps until it is killed."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    with open(sim.state / "hung.log", "a", encoding="utf-8") as handle:
        handle.write(f"{what} {os.getpid()} {child.pid}\n")
    time.sleep(3600)


def _children(pid: int) -> list[int]:
    """The PIDs whose parent is pid (Linux /proc; field 4 of /proc/N/stat is the parent's PID)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def taskkill(sim: Sim, args: list[str]) -> int:
    """``taskkill /PID n /T /F`` (learn.microsoft.com, taskkill: /t ends the process and every child
    process it started, /f forcefully): kills the tree, children first. The messages are taskkill's
    English ones (wording illustrative); a PID that does not exist fails with exit 128."""
    sim.log("taskkill " + " ".join(args))
    words = [a.upper() for a in args]
    pid = int(args[words.index("/PID") + 1])
    if os.name == "nt":  # the fakes on Windows: the real taskkill does it
        return subprocess.run(["taskkill", *args], check=False).returncode
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        if "/T" in words:
            todo.extend(_children(current))
    if not Path(f"/proc/{pid}").exists():
        print(f'ERROR: The process "{pid}" not found.')
        return 128
    for victim in reversed(tree):
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    print(f"SUCCESS: The process with PID {pid} has been terminated.")
    return 0


PROGRAMS = {"wsl": wsl, "netsh": netsh, "podman": podman, "whoami": whoami, "icacls": icacls,
            "taskkill": taskkill}


SELF = os.environ.get("WSLPP_SIM_SELF") or sys.argv[0]  # the path this program was started as


def main() -> int:
    name = Path(sys.argv[0]).stem.lower()
    if name in PROGRAMS:  # a copy named wsl.exe, netsh.exe, ... (Windows): state from the env
        state, program, args = Path(os.environ["WSLPP_SIM_STATE"]), name, sys.argv[1:]
    else:  # fakewin.py STATE PROGRAM ARGS... (the POSIX wrappers)
        state, program, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if program == "restart-wsl":  # used by the tests and the benchmark, not a Windows program
        restart_wsl(Sim(state), args[0], args[1])
        return 0
    return PROGRAMS[program](Sim(state), args)


if __name__ == "__main__":
    sys.exit(main())
