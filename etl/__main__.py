"""`python -m etl`, the documented name of the command line, handed over to cli.py.

The commands live in cli.py, above etl/ and metrics/, because half of them read (summary,
review, export); this shim keeps the name users have in their notes and scripts. It is the one
module of etl/ that imports the command line (tests/test_layout.py allows exactly this file).
"""
import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main())
