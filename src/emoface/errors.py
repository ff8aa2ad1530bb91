"""The package-wide exception hierarchy.

Every error a user can cause (bad file, no face, unknown emotion) is an `EmofaceError`; the CLI
prints its message on one line and exits with status 2. Anything else is a bug.
"""


class EmofaceError(Exception):
    """Base class of every error emoface raises on purpose."""


class InputError(EmofaceError):
    """A user-supplied file or argument cannot be used (unreadable, wrong kind, out of range)."""


class NoFaceError(EmofaceError):
    """No usable face was found in an image."""


class Stopped(Exception):
    """Work running beside the main thread was told to stop (its result is no longer wanted)."""


def stop_if_asked(stop, what: str) -> None:
    """Raise `Stopped` ("`what` stopped") once the caller has set `stop` (a threading.Event, or
    None for work that cannot be stopped)."""
    if stop is not None and stop.is_set():
        raise Stopped(f"{what} stopped")
