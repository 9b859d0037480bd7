"""`python -m sheetsync`: the same as the `sheetsync` command."""

import sys

from sheetsync.cli import main

sys.exit(main())
