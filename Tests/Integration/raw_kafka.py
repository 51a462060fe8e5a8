"""Just enough of the Kafka framing to speak to the broker over a raw socket (ApiVersions, garbage tests)."""

from __future__ import annotations

import socket
import struct
import time

API_VERSIONS = 18


def request_frame(api_key: int, api_version: int, correlation_id: int, body: bytes = b"",
                  client_id: str = "sluice-it", flexible_header: bool = False) -> bytes:
    """A size-prefixed request: header v1 (v2 adds an empty tagged-field section when flexible_header)."""
    client = client_id.encode()
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client)) + client
    if flexible_header:
        header += b"\x00"
    return struct.pack(">i", len(header) + len(body)) + header + body


def api_versions_v3_body(name: str = "sluice-it", version: str = "1.0") -> bytes:
    """ApiVersions v3+ body: compact strings client_software_name and _version, then empty tagged fields."""
    def compact(text: str) -> bytes:
        data = text.encode()
        return bytes([len(data) + 1]) + data  # uvarint length + 1, fine below 127 bytes

    return compact(name) + compact(version) + b"\x00"


def connect(port: int, timeout_s: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_exactly(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def read_response(sock: socket.socket) -> bytes:
    """One size-prefixed response frame, without its size."""
    (size,) = struct.unpack(">i", read_exactly(sock, 4))
    assert 0 <= size <= 64 * 1024 * 1024, f"implausible response size {size}"
    return read_exactly(sock, size)


def parse_api_versions_v0(frame: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(correlation id, error code, [(api key, min, max)]); asserts the frame is exactly the v0 layout."""
    correlation_id, error_code, count = struct.unpack(">ihi", frame[:10])
    assert 0 <= count <= 1000, f"not the ApiVersions v0 layout: int32 API count reads {count} ({frame[:64].hex()})"
    assert len(frame) == 10 + 6 * count, (
        f"ApiVersions v0 layout is correlation id, error code, int32 count and 6 bytes per API: "
        f"{len(frame)} bytes for {count} APIs ({frame[:64].hex()})")
    ranges = [struct.unpack(">hhh", frame[10 + 6 * i: 16 + 6 * i]) for i in range(count)]
    return correlation_id, error_code, ranges


def closed_by_peer(sock: socket.socket, timeout_s: float) -> bool:
    """Whether the broker closes the connection within timeout_s (anything it sends first is ignored)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False
