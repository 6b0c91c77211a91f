"""wsl-portproxy: per-server PowerShell bundles that forward Windows LAN ports to WSL 2."""

# The one version source: pyproject.toml reads it (dynamic version), the wheel, the sdist and
# --version carry it, and tests check the module manifest's ModuleVersion and CHANGELOG against it.
__version__ = "0.3.1"
