"""Credentials and identity: who is asking, under which public name, and the secret's one-way hash.

:class:`Credentials` holds a login and password, or an API key, and never shows the secret in a
repr, a str or a pickle. :meth:`Credentials.identity` is the public name of the account (the
login, or a short hash of the API key) that the quota, the cool-downs and log lines use;
:func:`account_identity` adds the service host to it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any
from urllib.parse import urlsplit

from ._errors import QueryError, said
from ._settings import Environment

__all__ = ["Credentials", "account_identity", "service_host", "service_name"]


class Credentials:
    """Login and password, or an apikey. Never shows the secret in a repr or str."""

    __slots__ = ("_apikey", "_psw", "login")

    def __init__(self, login: str | None, psw: str | None, apikey: str | None) -> None:
        self.login = login
        self._psw = psw
        self._apikey = apikey

    @classmethod
    def resolve(
        cls, login: str | None, psw: str | None, apikey: str | None, *, env: Environment | None = None
    ) -> Credentials:
        """Take arguments first, then ``SMSC_LOGIN``/``SMSC_PASSWORD``/``SMSC_APIKEY`` (from ``env``,
        default the current :class:`~smsstats_nb.core.Environment`).

        Raises:
            QueryError: no usable credentials, with how to set them.
        """
        env = env or Environment.read()
        if apikey is None and login is None and psw is None:
            apikey = env.apikey
        if apikey is None:
            login = login if login is not None else env.login
            psw = psw if psw is not None else env.psw
        for name, value in (("login", login), ("psw", psw), ("apikey", apikey)):
            if value is not None and (not isinstance(value, str) or not value):
                raise said(QueryError, "{name} must be a non-empty string", name=name)
        if apikey is not None:
            return cls(login, None, apikey)
        if login is None or psw is None:
            missing = "login" if login is None else "password"
            raise said(
                QueryError,
                "no SMSC {missing}: pass login= and psw= (or apikey=), or set the "
                "environment variables SMSC_LOGIN and SMSC_PASSWORD (or SMSC_APIKEY)",
                missing=missing,
            )
        return cls(login, psw, None)

    @property
    def kind(self) -> str:
        """``"apikey"`` or ``"login"``."""
        return "apikey" if self._apikey is not None else "login"

    def params(self) -> dict[str, str]:
        """The wire parameters carrying the credentials."""
        if self._apikey is not None:
            return {"apikey": self._apikey}
        assert self.login is not None and self._psw is not None
        return {"login": self.login, "psw": self._psw}

    def identity(self) -> str:
        """A public name for quota and logs: the login, or a short hash of the apikey."""
        if self._apikey is not None:
            return "apikey:" + hashlib.sha256(self._apikey.encode()).hexdigest()[:12]
        return f"login:{self.login}"

    def fingerprint(self) -> str:
        """A fast, unsalted hash of everything that identifies these credentials (for in-memory
        registries only; never written anywhere)."""
        return hashlib.sha256("\x00".join(self.params().values()).encode()).hexdigest()

    def secret_hash(self, salt: bytes, rounds: int = 100_000) -> str:
        """A salted, slow one-way hash of the secret (PBKDF2, 100,000 rounds: what the cache keys
        hold). Derived once per secret and salt in a process: a notebook that builds a client per
        cell, or twenty accounts, pays the rounds once each (the memo lives in memory only)."""
        secret = (self._apikey if self._apikey is not None else self._psw) or ""
        material = f"{self.identity()}\x00{secret}".encode()
        memo = hashlib.sha256(material + b"\x00" + salt + str(rounds).encode()).hexdigest()
        with _DERIVED_LOCK:
            known = _DERIVED.get(memo)
        if known is None:
            known = hashlib.pbkdf2_hmac("sha256", material, salt, rounds).hex()
            with _DERIVED_LOCK:
                if len(_DERIVED) >= 256:
                    _DERIVED.clear()
                _DERIVED[memo] = known
        return known

    def __repr__(self) -> str:
        if self._apikey is not None:
            return "Credentials(apikey='***')"
        return f"Credentials(login={self.login!r}, psw='***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("Credentials cannot be pickled")


#: Secret hashes derived in this process, by a fast hash of what they were derived from.
_DERIVED: dict[str, str] = {}
_DERIVED_LOCK = threading.Lock()

#: SMSC's domains (and their ``www.`` / ``www2.`` backups) are one service with one quota.
SMSC_DOMAINS = ("smsc.ru", "smscentre.com", "smsc.kz", "smsc.ua")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def service_host(base_url: str) -> str:
    """The host as people read it in messages (``smscentre.com``, ``127.0.0.1:8765``)."""
    return urlsplit(base_url).netloc.rsplit("@", 1)[-1]


def service_name(base_url: str) -> str:
    """The service a base URL reaches, for the quota: every SMSC domain and backup is ``smsc``,
    every loopback spelling is ``loopback:PORT``; other hosts are their lowercase name (and port)."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in ("www2.", "www."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    if host in SMSC_DOMAINS:
        return "smsc"
    try:
        port = parts.port
    except ValueError:
        port = None
    if host in _LOOPBACK:
        return f"loopback:{port or (443 if parts.scheme == 'https' else 80)}"
    return f"{host}:{port}" if port else host


def account_identity(base_url: str, credentials: Credentials, service: str | None = None) -> str:
    """The public name of one account on one service: ``service|login:NAME`` (or the apikey hash);
    ``service`` names the service when the base URL should not (the demo's changing port)."""
    return f"{service or service_name(base_url)}|{credentials.identity()}"
