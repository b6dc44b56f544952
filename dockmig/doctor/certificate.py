"""The few facts of an X.509 certificate the TLS probe reports, read from DER.

Python's `ssl` describes a peer certificate only after it verified, and a
failed check is exactly when the names and dates matter ("for which name is
it?", "when did it expire?"). No X.509 library is a dependency, so this
reads the DER structure directly: subject and issuer attributes, validity,
and the subject alternative names. Anything it cannot read raises ValueError.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

_SEQUENCE = 0x30
_SET = 0x31
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_EXPLICIT_VERSION = 0xA0
_EXTENSIONS = 0xA3
_BOOLEAN = 0x01
_OCTET_STRING = 0x04
_SAN_DNS = 0x82
_SAN_IP = 0x87

# DER-encoded object identifiers (the bytes after tag and length).
_COMMON_NAME = bytes([0x55, 0x04, 0x03])
_ORGANIZATION = bytes([0x55, 0x04, 0x0A])
_SUBJECT_ALT_NAME = bytes([0x55, 0x1D, 0x11])


@dataclass(frozen=True)
class Certificate:
    subject: dict[str, str]
    issuer: dict[str, str]
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """What the certificate is for: its SANs, else its common name."""
        names = self.dns_names + self.ip_addresses
        if names:
            return names
        common = self.subject.get("CN")
        return (common,) if common else ()

    @property
    def issuer_name(self) -> str:
        parts = [self.issuer.get("O", ""), self.issuer.get("CN", "")]
        return " / ".join(part for part in parts if part) or "an unnamed issuer"

    def days_left(self, now: dt.datetime | None = None) -> float:
        now = now or dt.datetime.now(dt.timezone.utc)
        return (self.not_after - now).total_seconds() / 86400


class _Reader:
    def __init__(self, data: bytes, start: int = 0, end: int | None = None) -> None:
        self.data = data
        self.offset = start
        self.end = len(data) if end is None else end

    def more(self) -> bool:
        return self.offset < self.end

    def peek(self) -> int:
        if not self.more():
            raise ValueError("unexpected end of certificate")
        return self.data[self.offset]

    def read(self) -> tuple[int, int, int]:
        """The next element: (tag, start of its content, end of its content)."""
        tag = self.peek()

        position = self.offset + 1
        if position >= self.end:
            raise ValueError("truncated certificate")
        length = self.data[position]
        position += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or position + count > self.end:
                raise ValueError("unsupported length in certificate")
            length = int.from_bytes(self.data[position : position + count], "big")
            position += count

        if position + length > self.end:
            raise ValueError("truncated certificate")
        self.offset = position + length
        return tag, position, position + length

    def enter(self, expected: int) -> _Reader:
        tag, start, end = self.read()
        if tag != expected:
            raise ValueError(f"expected tag {expected:#x}, found {tag:#x}")
        return _Reader(self.data, start, end)


def parse(der: bytes) -> Certificate:
    """Read a DER certificate. Raises ValueError when it is not one."""
    tbs = _Reader(der).enter(_SEQUENCE).enter(_SEQUENCE)
    if tbs.peek() == _EXPLICIT_VERSION:
        tbs.read()
    tbs.read()  # serial number
    tbs.read()  # signature algorithm
    issuer = _name(tbs.enter(_SEQUENCE))
    validity = tbs.enter(_SEQUENCE)
    not_before = _time(validity)
    not_after = _time(validity)
    subject = _name(tbs.enter(_SEQUENCE))
    tbs.read()  # subject public key info

    dns_names: list[str] = []
    addresses: list[str] = []
    while tbs.more():
        tag, start, end = tbs.read()
        if tag == _EXTENSIONS:
            extensions = _Reader(der, start, end).enter(_SEQUENCE)
            _alt_names(extensions, dns_names, addresses)
    return Certificate(
        subject=subject,
        issuer=issuer,
        not_before=not_before,
        not_after=not_after,
        dns_names=tuple(dns_names),
        ip_addresses=tuple(addresses),
    )


def _name(reader: _Reader) -> dict[str, str]:
    attributes: dict[str, str] = {}
    while reader.more():
        rdn = reader.enter(_SET)

        while rdn.more():
            pair = rdn.enter(_SEQUENCE)
            _, start, end = pair.read()
            oid = pair.data[start:end]
            _, value_start, value_end = pair.read()
            text = pair.data[value_start:value_end].decode("utf-8", "replace")
            if oid == _COMMON_NAME:
                attributes["CN"] = text
            elif oid == _ORGANIZATION:
                attributes["O"] = text
    return attributes


def _time(reader: _Reader) -> dt.datetime:
    tag, start, end = reader.read()
    text = reader.data[start:end].decode("ascii")

    if tag == _UTC_TIME:
        # RFC 5280: two-digit years 50-99 are 19xx, 00-49 are 20xx.
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != _GENERALIZED_TIME:
        raise ValueError(f"expected a time, found tag {tag:#x}")

    parsed = dt.datetime.strptime(text.rstrip("Z"), "%Y%m%d%H%M%S")
    return parsed.replace(tzinfo=dt.timezone.utc)


def _alt_names(extensions: _Reader, dns_names: list[str], addresses: list[str]) -> None:
    while extensions.more():
        extension = extensions.enter(_SEQUENCE)
        _, start, end = extension.read()
        oid = extension.data[start:end]
        if extension.peek() == _BOOLEAN:
            extension.read()
        if oid != _SUBJECT_ALT_NAME:
            continue

        names = extension.enter(_OCTET_STRING).enter(_SEQUENCE)
        while names.more():
            tag, value_start, value_end = names.read()
            value = names.data[value_start:value_end]
            if tag == _SAN_DNS:
                dns_names.append(value.decode("ascii", "replace"))
            elif tag == _SAN_IP and len(value) in (4, 16):
                addresses.append(str(ipaddress.ip_address(value)))
