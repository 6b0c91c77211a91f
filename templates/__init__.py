"""Everything wsl-portproxy emits; installed as the package ``wsl_portproxy.templates``.

``WslPortProxy/`` and the ``*.ps1`` entry scripts are static files, copied byte for byte into
every bundle; ``*.j2`` are the per-server templates.
"""
