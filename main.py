"""PSPNet Studio entry point: the desktop app, or a headless subcommand."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
