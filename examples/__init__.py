"""Nothing here is Python: this file only lets the folder be installed as the package
``wsl_portproxy.examples``, so ``wsl-portproxy init`` writes ``inventory.yaml`` from the one
copy in the repository.
"""
