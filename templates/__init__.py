"""The per-server and fleet templates (``*.j2``), rendered by the one Jinja environment in
``wsl_portproxy.templating``; installed as the package ``wsl_portproxy.templates``.

What is copied byte for byte (the module, the entry scripts, the fleet folder's static files)
lives in ``runtime/``, installed as ``wsl_portproxy.runtime``.
"""
