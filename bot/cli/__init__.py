"""The `briefing` command: reindex, add, remove, ask, chat, summary, digest, sources, stories,
feed, feedback, eval and bot.

Only the standard library loads here: Ctrl-C while the rest loads is `briefing: interrupted`,
not a traceback. Heavy modules (torch, sentence-transformers) load only inside the commands
that need them, so `briefing --help` and `briefing sources` stay quick.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading


def console() -> None:
    """The `briefing` console script: `main`, then exit. `ask` skips the interpreter's
    teardown once its output is flushed (`flushed`): tearing down the ~600 modules a
    question loads cost 0.2-0.3 s on a 2-core machine, a sixth of a cold `briefing ask`."""
    sys.unraisablehook = _interrupt_again(sys.unraisablehook)
    try:
        status = main(allow_quick_exit=True)
    except KeyboardInterrupt:  # before a command ran (they say it themselves)
        print("briefing: interrupted", file=sys.stderr)
        status = 130
    sys.exit(status)


def _interrupt_again(report_unraisable):
    """An unraisable-exception hook that sends a swallowed Ctrl-C again instead of printing it.

    A Ctrl-C that lands in Python code called back from compiled code (pydantic-core building
    the settings' schema, a `__del__`) cannot be raised there: Python printed "Exception
    ignored … KeyboardInterrupt" with a traceback and the command went on. It is sent again a
    moment later from another thread (sent from the hook, it would land in the hook), until it
    lands where it can be raised."""
    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, KeyboardInterrupt) or \
                not callable(signal.getsignal(signal.SIGINT)):  # not from a Ctrl-C Python handles
            report_unraisable(unraisable)
            return
        try:  # a real signal: it also cuts short a wait (time.sleep, a socket)
            resend = threading.Timer(0.01, signal.pthread_kill,
                                     (threading.main_thread().ident, signal.SIGINT))
            resend.daemon = True
            resend.start()
        except RuntimeError:  # no new threads while the interpreter shuts down
            report_unraisable(unraisable)
    return hook


def main(argv: list[str] | None = None, allow_quick_exit: bool = False) -> int:
    """Run one command; returns the exit status (see `console` for `allow_quick_exit`)."""
    from bot.cli.arguments import build_parser, minus_values_joined
    from bot.cli.exits import flushed, run_command

    args = build_parser().parse_args(minus_values_joined(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:  # "discarding data: None" for pages without text: nothing to act on
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
    status = flushed(run_command(args))
    if allow_quick_exit and getattr(args, "quick_exit", False):
        logging.shutdown()
        os._exit(status)  # no teardown: see `console`
    return status
