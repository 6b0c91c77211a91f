"""Nothing here is Python: this file only lets the folder be installed as the package
``wsl_portproxy.runtime``, so a checkout, a wheel and the one-file program find it one way.

``runtime/`` is what runs on a Windows server, copied byte for byte into every bundle: the
module ``WslPortProxy/``, the entry scripts ``*-WslPortProxy.ps1`` and ``fleet/`` (the fleet
folder's playbooks and scripts).
"""
