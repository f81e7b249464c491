"""PSPNet Studio entry point: the desktop app, or a headless subcommand."""

import sys

from app.cli import entry_point

if __name__ == "__main__":
    sys.exit(entry_point())
