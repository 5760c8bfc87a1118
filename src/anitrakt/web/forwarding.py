"""Which Host names the app answers to, and whose `X-Forwarded-*` headers it believes.

Pure functions over an ASGI scope; `web/edge.py` applies them to every request. The
README ("Behind a reverse proxy") shows the nginx and Caddy set-ups they expect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from anitrakt.config import IPNetwork, Settings, normalise_host_name

# Always answered: a rebinding attack needs a DNS name the attacker controls, and these
# only ever name this machine.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_BAD_HOST_CHARACTERS = frozenset("/\\@?# ")


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header as (normalised name, port); None when it is not `name[:port]`."""
    text = value.strip()
    port_text: str | None = None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return None
        name, rest = text[1:end], text[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return None
            port_text = rest[1:]
    elif text.count(":") == 1:
        name, _, port_text = text.partition(":")
    else:
        name = text  # a bare IPv6 literal has several colons and no port
    port = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    name = normalise_host_name(name)
    if not name or _BAD_HOST_CHARACTERS & set(name):
        return None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """The Host names the app answers to (ANITRAKT_ALLOWED_HOSTS plus the defaults).

    Besides the configured names: the listen host, the loopback names, and any IP
    literal, since DNS rebinding works through names and an address cannot be re-bound.
    A configured name with a leading dot also allows its sub-domains.
    """

    names: frozenset[str]
    suffixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> HostPolicy:
        configured = [normalise_host_name(name) for name in settings.anitrakt_allowed_hosts]
        names = {normalise_host_name(settings.anitrakt_host), *LOOPBACK_NAMES}
        names.update(name for name in configured if not name.startswith("."))
        return cls(frozenset(names), tuple(name for name in configured if name.startswith(".")))

    def allows(self, host: str) -> bool:
        parsed = split_host(host)
        if parsed is None:
            return False
        name = parsed[0]
        if name in self.names or _is_ip(name):
            return True
        return any(name.endswith(suffix) or name == suffix[1:] for suffix in self.suffixes)


def _last_value(values: Iterable[str]) -> str | None:
    """The value the nearest proxy added: the last item of a (comma-joined) header."""
    items = [item.strip() for value in values for item in value.split(",")]
    items = [item for item in items if item]
    return items[-1] if items else None


@dataclass(frozen=True, slots=True)
class ProxyPolicy:
    """ANITRAKT_TRUSTED_PROXIES: peers whose forwarded scheme, Host and client are believed."""

    networks: tuple[IPNetwork, ...]

    def trusts(self, address: str | None) -> bool:
        if not address or not self.networks:
            return False
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        return any(parsed in network for network in self.networks)

    def client(self, forwarded_for: Iterable[str], peer: str) -> str:
        """The first address, walking X-Forwarded-For from the right, that we do not trust.

        Everything left of it was written by someone we do not trust, so it is ignored.
        """
        client = peer
        entries = [item.strip() for value in forwarded_for for item in value.split(",")]
        for entry in reversed([e for e in entries if e]):
            if not _is_ip(entry.strip("[]")):
                break
            client = entry.strip("[]")
            if not self.trusts(client):
                break
        return client

    def apply(self, scope: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """The scope as the browser saw it, when the peer is a trusted proxy; else as is."""
        peer = scope.get("client")
        if peer is None or not self.trusts(peer[0]):
            return scope
        headers = Headers(scope=scope)
        forwarded = dict(scope)
        proto = (_last_value(headers.getlist("x-forwarded-proto")) or "").lower()
        if proto in ("http", "https"):
            forwarded["scheme"] = proto
        host = _last_value(headers.getlist("x-forwarded-host"))
        if host is not None:
            raw = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
            forwarded["headers"] = [*raw, (b"host", host.encode("latin-1"))]
        forwarded_for = headers.getlist("x-forwarded-for")
        if forwarded_for:
            forwarded["client"] = (self.client(forwarded_for, peer[0]), 0)
        return forwarded
