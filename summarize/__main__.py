"""`python -m summarize` runs the command line."""

from summarize.cli import entry

entry()
