"""Beyond one machine: several participant servers on one PostgreSQL store, behind nginx.

- `nginx_config`: the nginx configuration `toolkit nginx-config` writes. A phone's page and its WebSockets
  (/api/kernels/<id>/channels) must reach the same participant server: the kernel lives on the server that
  rendered the page, and any other server answers its WebSocket with 404 (the page then never gets its
  widgets). nginx keeps them together by hashing the phone's address (`hash $remote_addr consistent`); when
  a server is added or stops, only the phones of that server move. Phones behind one hotspot share an address,
  hence a server; a phone whose server is full is told the room is full even when another server has room.
- `TrustedProxies`: behind nginx every request comes from nginx's address. The servers take the phone's
  address from the proxy's header (X-Real-IP, else the last X-Forwarded-For entry), and only when the
  connection comes from a trusted proxy (loopback, or an address given with `--trusted-proxy`): a phone that
  reaches a server directly cannot choose the address its page-load limits are counted under.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

ADDRESS_CHARS = 64  # longer than any IPv6 address with a zone: a longer header value is not an address


class TrustedProxies:
    """The proxies whose word on a phone's address is taken: loopback always, and these addresses or networks."""

    def __init__(self, given: Iterable[str] = ()):
        self.networks = []
        for item in given:
            try:
                self.networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(f"--trusted-proxy {item!r} is not an address or a network (e.g. 10.0.0.5 or "
                                 "10.0.0.0/24)") from None

    def __contains__(self, address: str | None) -> bool:
        ip = _address(address)
        if ip is None:
            return False
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback or any(ip in network for network in self.networks)

    def client(self, remote_ip: str | None, headers: Mapping[str, str]) -> str | None:
        """The phone's address: the proxy's X-Real-IP (else the last entry of X-Forwarded-For, the one the proxy
        added) when the connection comes from a trusted proxy and the header holds an address; else the
        connection's own address."""
        if remote_ip not in self:
            return remote_ip
        for value in (headers.get("X-Real-IP", ""), headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1]):
            ip = _address(value.strip())
            if ip is not None:
                return str(ip)
        return remote_ip


def _address(text: str | None):
    if not text or len(text) > ADDRESS_CHARS:
        return None
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


def participant_servers(host: str, port: int, count: int) -> list[str]:
    """The addresses of the `count` participant servers `toolkit serve --participant-servers` starts."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    return [f"{shown}:{port + i}" for i in range(count)]


NGINX = """\
# The toolkit's participant servers behind one address (written by `toolkit nginx-config`).
# Put this file in /etc/nginx/conf.d/ (it belongs inside nginx's `http` block), then `nginx -t && nginx -s reload`.

# WebSockets: pass the phone's upgrade on; keep-alive connections to the servers otherwise.
map $http_upgrade $toolkit_connection {{
    default upgrade;
    ''      '';
}}

log_format toolkit '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                   'upstream=$upstream_addr $request_time';

upstream toolkit_participants {{
    # A phone's page and its WebSockets must reach the same server: its kernel lives on the server that
    # rendered the page. The phone's address picks the server; a server added or gone moves only its phones.
    hash $remote_addr consistent;
{servers}
    keepalive 32;
}}

server {{
    listen {listen};
    server_name {names};
    access_log {access_log} toolkit;

    client_max_body_size 1m;           # the participant page sends nothing larger
    client_body_timeout 30s;
    client_header_timeout 30s;

    location / {{
        proxy_pass http://toolkit_participants;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $toolkit_connection;
        # The name the phone used: the servers answer only to their own names (--server-name).
        proxy_set_header Host $http_host;
        # The phone's address, for the limits per address (the servers trust it from --trusted-proxy only).
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # The page is sent as it is rendered; a page and its WebSockets stay open for the whole session.
        proxy_buffering off;
        proxy_connect_timeout 5s;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
    }}
}}
"""


def nginx_config(servers: list[str], listen: str = "80", server_names: Iterable[str] = (),
                 access_log: str = "/var/log/nginx/toolkit.access.log") -> str:
    """The nginx configuration for these participant servers ("host:port" each)."""
    if not servers:
        raise ValueError("no participant server given")
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"participant server {server!r}: expected HOST:PORT, e.g. 127.0.0.1:8866")
    lines = "\n".join(f"    server {server} max_fails=1 fail_timeout=10s;" for server in servers)
    return NGINX.format(servers=lines, listen=listen, names=" ".join(server_names) or "_", access_log=access_log)
