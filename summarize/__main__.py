"""`python -m summarize` runs the command line."""

import sys

from summarize.cli import main

sys.exit(main())
