"""``python -m blocsim ARGS``: the command line itself, from the installed module (the same
subcommands, flags, output and exit codes as the ``blocsim`` binary)."""

from __future__ import annotations

import signal
import sys

from . import _native


def main() -> int:
    # Ctrl-C ends the process at once, as it ends the binary (Python's own handler would only
    # raise once the command returned).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return _native.main(["blocsim", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
