"""``python -m wsl_portproxy``."""

import sys

from .cli import main

sys.exit(main())
