"""How a command's outcome becomes its exit status: errors as one line, output that cannot
be written, a reader that closed the pipe."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from contextlib import suppress
from typing import TextIO

from bot.settings import SettingsError, load_settings
from index import BriefingError


class UsageError(BriefingError):
    """Arguments that do not go together (`--rows` without `--summaries`): exit status 2, as
    argparse gives for an argument it refuses itself."""


def flushed(status: int) -> int:
    """`status` once the output is written. A reader that closed the pipe early has what it
    wanted; any other failure to write (a full disk) is an error, one line and status 120
    as Python's own exit would give, without its traceback."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:
            discard(stream)
        except (OSError, ValueError) as err:
            discard(stream)
            if status != 120:  # not said already (`run_command`)
                status = status or 120
                with suppress(OSError):
                    os.write(2, f"briefing: could not write the output: "
                                f"{getattr(err, 'strerror', None) or err}\n".encode())
    return status


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command with the settings; every known failure is one line on stderr
    and an exit status (2 a bad setting or arguments that do not go together, 1 other
    errors, 130 interrupted, 120 output not written)."""
    try:
        settings = load_settings()
        return int(args.run(args, settings) or 0)
    except (SettingsError, UsageError) as err:
        print(f"briefing: {err}", file=sys.stderr)
        return 2
    except BriefingError as err:
        print(f"briefing: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("briefing: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader closed the pipe (`briefing ask … | head`): it has what it wanted. Later
        # writes, Python's own final flush among them, go nowhere instead of failing again.
        discard(sys.stdout)
        return 0
    except OSError as err:
        # The system refused something (a full disk under the output, a file the command
        # opens): one line, as for any other error the user can act on, not a traceback.
        if err.filename is None and err.errno in _OUTPUT_ERRNOS:
            discard(sys.stdout)
            print(f"briefing: could not write the output: {err.strerror}", file=sys.stderr)
            return 120
        where = f": {err.filename}" if err.filename is not None else ""
        print(f"briefing: {err.strerror or err}{where}", file=sys.stderr)
        return 1


# Errors only a write gives (EIO can come from a read: a terminal that went away).
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def discard(stream: TextIO) -> None:
    """Send what is left of `stream` (Python's final flush among it) to /dev/null."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
