"""``python -m riskkit.cli``."""

import sys

from riskkit.cli import main

sys.exit(main())
