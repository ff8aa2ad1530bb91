"""`python -m emoface ...` runs the command line (same as the `emoface` command)."""
from .cli import main

raise SystemExit(main())
