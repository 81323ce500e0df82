"""Named SMSC accounts: a TOML file of logins and servers, the secrets in the OS keyring.

The accounts file (``$SMSSTATS_ACCOUNTS``, or ``accounts.toml`` in the user config directory of
``platformdirs``) never holds a password::

    [shop]
    login = "shop_login"
    base_url = "https://smsc.ru"          # optional: default $SMSC_BASE_URL or smscentre.com
    # secret = "keyring"                  # the default: the OS keyring (keyring's own backends)

    [news]
    login = "news_login"
    secret = "env"
    env = "NEWS_SMSC_PASSWORD"            # the password from this variable (a headless server)

    [brand_kz]
    apikey = true                         # the secret is an API key (no login)
    base_url = "https://smsc.kz"
    country = "KZ"                        # its days by Kazakhstan's calendar (default: Russia's)

In the keyring the secret is stored under the service ``smsstats_nb`` and the user name
``account:NAME``. :func:`add_account` writes the file and stores the secret; :func:`remove_account`
deletes both; :func:`load_accounts` reads the file (the secrets only when asked for).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core import COUNTRIES, Environment, QueryError, check_base_url, said

__all__ = [
    "KEYRING_SERVICE",
    "Account",
    "Removal",
    "accounts_path",
    "add_account",
    "keyring_problem",
    "load_accounts",
    "remove_account",
    "resolve_names",
]

#: The keyring service under which every account's secret is stored.
KEYRING_SERVICE = "smsstats_nb"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_KEYS = {"login", "base_url", "secret", "env", "apikey", "country"}
#: What an environment variable's name looks like.
_VARIABLE = r"[A-Za-z_][A-Za-z0-9_]*"


def accounts_path(env: Environment | None = None) -> Path:
    """``$SMSSTATS_ACCOUNTS`` or ``accounts.toml`` in the user config directory."""
    env = env or Environment.read()
    if env.accounts_file:
        return Path(env.accounts_file).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("smsstats_nb", appauthor=False)) / "accounts.toml"


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise said(
            QueryError, "an account name is letters, digits, '_', '.' or '-' (up to 64), not {name}", name=repr(name)
        )
    return name


def keyring_problem() -> str | None:
    """None when an OS keyring is usable; else one line saying so and what to do instead."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return 'the keyring package is not installed (pip install keyring): use secret = "env" and env = "VARIABLE"'
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a backend that cannot load (PYTHON_KEYRING_BACKEND, a broken plugin)
        return (
            f"the OS keyring cannot be loaded ({type(exc).__name__}): keep the secret in an environment variable "
            'and give the account secret = "env", env = "VARIABLE" (smsstats accounts add NAME --env VARIABLE)'
        )
    chained_nothing = type(backend).__name__ == "ChainerBackend" and not _chainer_ok(backend)
    if isinstance(backend, fail.Keyring) or chained_nothing:
        return (
            "no OS keyring on this machine (a headless server?): keep the secret in an environment variable "
            'and give the account secret = "env", env = "VARIABLE" (smsstats accounts add NAME --env VARIABLE)'
        )
    return None


def _chainer_ok(backend: object) -> bool:
    return bool(getattr(backend, "backends", []))


@dataclass(frozen=True)
class Account:
    """One named account: its login and server, and where its secret lives (never the secret).

    Attributes:
        name: the account's name.
        login: the SMSC login (None for an API key).
        base_url: its server (None: the default).
        secret: ``"keyring"`` or ``"env"``.
        env: the variable holding the secret when ``secret == "env"``.
        apikey: the secret is an API key rather than a password.
        country: the production calendar its customers' days follow (``"RU"``, ``"KZ"``, ``"UA"``,
            ``"BY"``, ``"UZ"``, ``"none"`` for the plain week; None: the rules' default, Russia).
    """

    name: str
    login: str | None = None
    base_url: str | None = None
    secret: str = "keyring"
    env: str | None = None
    apikey: bool = False
    country: str | None = None

    def where(self) -> str:
        """Where the secret lives, in words."""
        from ..core.i18n import gettext_ as _

        if self.secret == "env":
            words = (
                _("API key in the environment variable {name}")
                if self.apikey
                else _("password in the environment variable {name}")
            )
            return words.format(name=self.env)
        words = _("API key in the OS keyring ({where})") if self.apikey else _("password in the OS keyring ({where})")
        return words.format(where=f"{KEYRING_SERVICE} / account:{self.name}")

    def read_secret(self) -> str | None:
        """The secret, or None when it is not where the file says.

        Raises:
            QueryError: the keyring is there but refused to answer (locked, or broken): that is
                not "not found", and storing the secret again would not help.
        """
        if self.secret == "env":
            return Environment.variable(str(self.env))
        if keyring_problem() is not None:
            return None
        import keyring

        try:
            return keyring.get_password(KEYRING_SERVICE, f"account:{self.name}")
        except Exception as exc:  # noqa: BLE001 - every backend failure is one line
            raise said(
                QueryError,
                "account {name}: the OS keyring did not answer ({kind}); unlock it (or check its backend) and "
                "try again: the secret may well be there",
                name=repr(self.name),
                kind=type(exc).__name__,
            ) from None

    def credentials(self) -> tuple[str | None, str | None, str | None]:
        """``(login, psw, apikey)`` for a client, or a QueryError saying where the secret is missing."""
        secret = self.read_secret()
        if not secret:
            hint = keyring_problem() if self.secret == "keyring" else None
            raise QueryError(
                f"account {self.name!r}: no {self.where()}"
                + (f"; {hint}" if hint else f"; store it with: smsstats accounts add {self.name} --login …")
            )
        if self.apikey:
            return None, None, secret
        return self.login, secret, None


def load_accounts(path: str | os.PathLike[str] | None = None) -> dict[str, Account]:
    """The accounts of the file (empty when there is none), checked: a QueryError names the problem."""
    target = Path(path).expanduser() if path is not None else accounts_path()
    if not target.exists():
        return {}
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise said(
            QueryError, "the accounts file {value} cannot be read: {exc}", value=repr(str(target)), exc=exc
        ) from None
    out: dict[str, Account] = {}
    for name, spec in data.items():
        _check_name(name)
        if not isinstance(spec, dict):
            raise said(QueryError, "{name}: [{name2}] must be a table", name=target.name, name2=name)
        unknown = sorted(set(spec) - _KEYS)
        if unknown:
            which = ", ".join(unknown)
            if {"psw", "password"} & set(spec):
                raise said(
                    QueryError,
                    "{name}: [{name2}] holds a password: the file never does (use the keyring)",
                    name=target.name,
                    name2=name,
                )
            raise said(
                QueryError,
                "{name}: [{name2}] has unknown keys {which} (known: {choices})",
                name=target.name,
                name2=name,
                which=which,
                choices=", ".join(sorted(_KEYS)),
            )
        if "apikey" in spec and not isinstance(spec["apikey"], bool):
            raise said(
                QueryError,
                "{name}: [{name2}] apikey must be true or false (the key itself goes in the OS keyring or an "
                "environment variable, never in the file)",
                name=target.name,
                name2=name,
            )
        if "env" in spec and not (isinstance(spec["env"], str) and re.fullmatch(_VARIABLE, spec["env"])):
            raise said(  # the value is not shown: it may be the secret itself, written by mistake
                QueryError,
                "{name}: [{name2}] env must name an environment variable (like NEWS_SMSC_PASSWORD), not hold "
                "a value: the file never holds a secret",
                name=target.name,
                name2=name,
            )
        secret = spec.get("secret", "keyring")
        if secret not in ("keyring", "env"):
            raise said(
                QueryError,
                "{name}: [{name2}] secret must be 'keyring' or 'env', not {secret}",
                name=target.name,
                name2=name,
                secret=repr(secret),
            )
        if secret == "env" and not spec.get("env"):
            raise said(
                QueryError,
                "{name}: [{name2}] has secret = 'env' but no env = \"VARIABLE\"",
                name=target.name,
                name2=name,
            )
        country = spec.get("country")
        if country is not None and country not in COUNTRIES and country != "none":
            raise said(
                QueryError,
                '{name}: [{name2}] country must be one of {choices} or "none", not {country}',
                name=target.name,
                name2=name,
                choices=", ".join(COUNTRIES),
                country=repr(country),
            )
        apikey = bool(spec.get("apikey", False))
        if not apikey and not spec.get("login"):
            raise said(QueryError, "{name}: [{name2}] needs a login (or apikey = true)", name=target.name, name2=name)
        base = spec.get("base_url")
        out[name] = Account(
            name,
            login=None if apikey else str(spec["login"]),
            base_url=check_base_url(base) if base else None,
            secret=secret,
            env=spec.get("env"),
            apikey=apikey,
            country=country,
        )
    return out


def resolve_names(names: list[str] | str, path: str | os.PathLike[str] | None = None) -> list[Account]:
    """The accounts ``names`` means (``"all"``: every one in the file), in the order given."""
    accounts = load_accounts(path)
    where = str(Path(path).expanduser() if path is not None else accounts_path())
    if names == "all":
        if not accounts:
            raise said(
                QueryError,
                "no accounts in {where}: add one with smsstats accounts add NAME --login LOGIN",
                where=where,
            )
        return list(accounts.values())
    wanted = [names] if isinstance(names, str) else list(names)
    if not wanted:
        raise said(QueryError, "no account named: give one or more names, or 'all'")
    missing = [n for n in wanted if n not in accounts]
    if missing:
        known = ", ".join(sorted(accounts)) or "none"
        raise said(
            QueryError,
            "no account {choices} in {where} (known: {known})",
            choices=", ".join(map(repr, missing)),
            where=where,
            known=known,
        )
    if len(set(wanted)) != len(wanted):
        raise said(QueryError, "an account is named twice")
    return [accounts[n] for n in wanted]


def _toml(accounts: dict[str, Account]) -> str:
    lines = ["# smsstats_nb accounts: no password here (they are in the OS keyring or the environment)", ""]
    for a in accounts.values():
        lines.append(f"[{a.name}]")
        if a.login:
            lines.append(f"login = {json.dumps(a.login, ensure_ascii=False)}")
        if a.base_url:
            lines.append(f"base_url = {json.dumps(a.base_url)}")
        if a.apikey:
            lines.append("apikey = true")
        if a.secret == "env":
            lines.append('secret = "env"')
            lines.append(f"env = {json.dumps(a.env)}")
        if a.country:
            lines.append(f"country = {json.dumps(a.country)}")
        lines.append("")
    return "\n".join(lines)


def add_account(
    name: str,
    *,
    login: str | None = None,
    secret: str | None = None,
    base_url: str | None = None,
    apikey: bool = False,
    env: str | None = None,
    path: str | os.PathLike[str] | None = None,
    country: str | None = None,
) -> Account:
    """Add (or replace) an account: the file gets its login and server, the keyring its secret
    (or, with ``env``, the file names the variable that holds it and no secret is stored).

    Raises:
        QueryError: a bad name, login, URL, a missing secret, or no keyring to store it in.
    """
    _check_name(name)
    if not apikey and not login:
        raise said(QueryError, "an account needs a login (or apikey=True)")
    if env is not None and not re.fullmatch(_VARIABLE, env):
        raise said(QueryError, "env must be a variable name, not {env}", env=repr(env))
    if country is not None and country not in COUNTRIES and country != "none":
        raise said(
            QueryError,
            'country must be one of {choices} or "none", not {country}',
            choices=", ".join(COUNTRIES),
            country=repr(country),
        )
    account = Account(
        name,
        login=None if apikey else login,
        base_url=check_base_url(base_url) if base_url else None,
        secret="env" if env else "keyring",
        env=env,
        apikey=apikey,
        country=country,
    )
    if env is None:
        if not secret:
            raise said(QueryError, "no secret given: nothing stored")
        problem = keyring_problem()
        if problem is not None:
            raise QueryError(problem)
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, f"account:{name}", secret)
        except Exception as exc:  # noqa: BLE001 - every backend failure is one line
            raise said(QueryError, "the OS keyring refused the secret ({kind})", kind=type(exc).__name__) from None
    target = Path(path).expanduser() if path is not None else accounts_path()
    accounts = load_accounts(target)
    accounts[name] = account
    target.parent.mkdir(parents=True, exist_ok=True)
    _save(target, _toml(accounts))
    return account


@dataclass(frozen=True)
class Removal:
    """What :func:`remove_account` did: ``found`` (the account was in the file, and is not now),
    and ``secret_left`` (a keyring secret that could not be deleted: the reason, else None)."""

    found: bool
    secret_left: str | None = None

    def __bool__(self) -> bool:
        return self.found


def _save(target: Path, text: str) -> None:
    """Replace the file in one step (a reader, such as a watch checking its accounts, never sees
    it half written)."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)


def remove_account(name: str, *, path: str | os.PathLike[str] | None = None) -> Removal:
    """Remove an account from the file and its secret from the keyring (truthy when it was there;
    ``secret_left`` says when the keyring kept the secret)."""
    target = Path(path).expanduser() if path is not None else accounts_path()
    accounts = load_accounts(target)
    account = accounts.pop(name, None)
    if account is None:
        return Removal(False)
    left: str | None = None
    if account.secret == "keyring":
        left = keyring_problem()
        if left is None:
            import keyring
            from keyring.errors import PasswordDeleteError

            try:
                keyring.delete_password(KEYRING_SERVICE, f"account:{name}")
            except PasswordDeleteError:
                pass  # nothing stored there is the same as deleted
            except Exception as exc:  # noqa: BLE001 - a locked or broken keyring: say so
                left = type(exc).__name__
    _save(target, _toml(accounts))
    return Removal(True, left)
