"""``python -m slipway_platform``: the ``slipway-platform`` command."""

import sys

from slipway_platform.cli import main

sys.exit(main())
