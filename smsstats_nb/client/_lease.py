"""The sync lease: one worker per login, whichever process, container or machine asks.

A lease is held in the store (the team's Redis, or the state file of one machine) under the
login's identity, renewed while the worker lives and given back when it stops; a holder whose
process is gone (same machine, same PID namespace) is taken over at once."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator

from ..core import (
    StorageError,
    SyncLeaseError,
)
from ._transport import Transport

logger = logging.getLogger(__name__)

__all__ = ["LEASE_SECONDS", "Lease", "holder_is_dead", "lease", "lease_owner", "pid_namespace"]


#: How long a sync lease lasts without renewal (renewed before every request).
LEASE_SECONDS = 300.0


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]`` on Linux; ``-`` where there is none to read):
    two containers on one host name can each have a process 7 that is not the other's."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"


def lease_owner() -> str:
    """A lease holder's name: ``host|pid namespace|pid|random``."""
    return f"{socket.gethostname()}|{pid_namespace()}|{os.getpid()}|{uuid.uuid4().hex[:8]}"


def holder_is_dead(holder: str) -> bool:
    """Whether a lease holder is provably gone: a process on this host, in this PID namespace, that
    no longer runs. Anything else (another host, another namespace, an older holder name) is not
    proof: its lease is left to expire."""
    parts = holder.split("|")
    if len(parts) != 4 or parts[0] != socket.gethostname() or parts[1] in ("-", "") or parts[1] != pid_namespace():
        return False
    if not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Lease:
    """The one sync lease of a login, held for as long as its holder lives.

    :meth:`keep` renews it when a third of its life has passed; every wait of the sync (between
    passes, for its share of the quota, for a token, for a server pause) calls it, so a holder
    that sleeps for hours keeps its lease, and one that dies loses it after ``seconds``.
    """

    def __init__(self, transport: Transport, seconds: float) -> None:
        self.store = transport.store
        self.clock = transport.clock
        self.name = "sync:" + transport.identity
        self.owner = lease_owner()
        self.seconds = seconds
        self.renewed = float("-inf")

    def acquire(self) -> None:
        """Take the lease (a provably dead holder's too).

        Raises:
            SyncLeaseError: another live worker holds it.
        """
        got, holder = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not got and holder_is_dead(holder):
            logger.info("taking over the sync lease of a process that is gone (%s)", holder)
            self.store.leases.release(self.name, holder)
            got, holder = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not got:
            raise SyncLeaseError(
                f"another sync for this login is running ({holder}); one sync per login at a time. "
                "It fills the same cache: wait for it, or stop it first"
            )
        self.renewed = self.clock.monotonic()

    def renew(self) -> None:
        """Renew now.

        Raises:
            SyncLeaseError: it was taken over (this holder was presumed dead).
        """
        ok, other = self.store.leases.acquire(self.name, self.owner, self.seconds)
        if not ok:
            raise SyncLeaseError(f"the sync lease was taken over by {other}; stopping")
        self.renewed = self.clock.monotonic()

    def keep(self) -> None:
        """Renew if a third of the lease's life has passed since the last renewal. A store that is
        away (the team's Redis restarting) is ridden out: the lease lasts ``seconds``, and the next
        wait tries again; a lease taken over meanwhile is a SyncLeaseError then."""
        if self.clock.monotonic() - self.renewed >= self.seconds / 3:
            try:
                self.renew()
            except StorageError as exc:
                logger.warning("sync: could not renew the lease (%s); trying again", exc)

    def wait(self, cancel: threading.Event | None, seconds: float) -> bool:
        """Wait ``seconds`` (True when cancelled), renewing on the way."""
        end = self.clock.monotonic() + seconds
        while (left := end - self.clock.monotonic()) > 0:
            if self.clock.wait(cancel, min(left, self.seconds / 3)):
                return True
            self.keep()
        return cancel is not None and cancel.is_set()

    def release(self) -> None:
        """Give it back."""
        with contextlib.suppress(Exception):
            self.store.leases.release(self.name, self.owner)


@contextlib.contextmanager
def lease(transport: Transport, *, seconds: float = LEASE_SECONDS) -> Iterator[Lease]:
    """Hold the one sync lease of this login for the block.

    Raises:
        SyncLeaseError: another live worker holds it.
    """
    held = Lease(transport, seconds)
    held.acquire()
    try:
        yield held
    finally:
        held.release()
