"""Request bodies sent compressed, opened as dhis2-core opens them: by their first bytes, whatever the headers.

dhis2-core 2.40.9 (StreamUtils.wrapAndCheckCompressionFormat, used by every dataValueSets reader, ADX too)
reads a body starting `PK\\x03\\x04` as a zip and takes its first entry, and a body starting `\\x1f\\x8b` as
gzip; anything else as it is. The Content-Type still says the format (application/json, application/csv,
application/xml, application/adx+xml), and `Content-Encoding: gzip` needs nothing more, since the bytes say it.

Guarded here, where DHIS2 is not: what comes out counts against the same limit as what goes in, while it is
read, so a small bomb stops at the limit and never sits in memory (each piece is at most `PIECE` bytes); a
zip must hold exactly one file (DHIS2 would silently read the first and drop the rest); a broken or
encrypted archive is refused with its reason. Every refusal is a `PayloadError`.
"""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from govkpi.datavalues.dhis2 import PayloadError

PIECE = 64 * 1024  # the most one decompression step hands on
ZIP_MAGIC, GZIP_MAGIC = b"PK\x03\x04", b"\x1f\x8b"
_SPOOL_IN_MEMORY = 1024 * 1024  # a zip is read from its end: kept in memory up to this, on disk beyond


@dataclass
class Body:
    """An opened body: its bytes as they are read, how it came, and a zip entry's name (its format may show)."""

    chunks: Iterator[bytes]
    compression: str | None = None  # "gzip", "zip" or None
    name: str = ""


def too_large(max_bytes: int, unpacked: bool = False) -> PayloadError:
    size = f"{max_bytes // (1024 * 1024)} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
    vi, en = (" sau khi giải nén", " once decompressed") if unpacked else ("", "")
    return PayloadError("too_large", f"Dữ liệu{vi} vượt quá {size}.", f"The payload is larger than {size}{en}.")


def opened(chunks: Iterable[bytes], max_bytes: int) -> Body:
    """The body of a request, decompressed if its first bytes say gzip or zip; at most `max_bytes` of it, before
    and after decompression."""
    source = _limited(chunks, max_bytes)
    head = b""
    for chunk in source:
        head += chunk
        if len(head) >= len(ZIP_MAGIC):
            break
    rest = _chained(head, source)
    if head.startswith(ZIP_MAGIC):
        return _zip_entry(rest, max_bytes)
    if head.startswith(GZIP_MAGIC):
        return Body(_limited(_gunzipped(rest), max_bytes, unpacked=True), "gzip")
    return Body(rest)


def _chained(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


def _limited(chunks: Iterable[bytes], max_bytes: int, unpacked: bool = False) -> Iterator[bytes]:
    size = 0
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes, unpacked)
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:  # a zip entry's reader: its archive and spool file are closed with it
            close()


def _gunzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """gzip's members one after another (GZIPInputStream reads concatenated members too)."""
    inflater, fed = zlib.decompressobj(16 + zlib.MAX_WBITS), False
    try:
        for data in chunks:
            while True:
                fed = fed or bool(data)
                piece = inflater.decompress(data, PIECE)
                if piece:
                    yield piece
                if inflater.eof:  # a member ended: whatever follows is the next member
                    data, inflater, fed = inflater.unused_data, zlib.decompressobj(16 + zlib.MAX_WBITS), False
                    if not data:
                        break
                    continue
                data = inflater.unconsumed_tail
                if not data and len(piece) < PIECE:  # input used up and no output held back
                    break
    except zlib.error as error:
        raise _bad("bad_gzip", "gzip", str(error)) from None
    if fed:  # the last member never ended
        raise PayloadError("bad_gzip", "Dữ liệu gzip bị cắt giữa chừng.", "The gzip payload is truncated.")


def _zip_entry(chunks: Iterator[bytes], max_bytes: int) -> Body:
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by _entry_bytes
    for chunk in chunks:  # already limited to max_bytes
        spool.write(chunk)
    spool.seek(0)
    try:
        archive = zipfile.ZipFile(spool)
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        spool.close()
        raise _bad("bad_zip", "zip", str(error)) from None
    entries = archive.infolist()
    if len(entries) != 1 or entries[0].is_dir():
        names = ", ".join(entry.filename for entry in entries[:5]) or "—"
        spool.close()
        raise PayloadError("zip_entries",
                           f"Tệp zip phải chứa đúng một tệp dữ liệu; tệp này có {len(entries)} mục ({names}).",
                           f"A zip must hold exactly one data file; this one has {len(entries)} entries ({names}).")
    entry = entries[0]
    if entry.flag_bits & 0x1:
        spool.close()
        raise PayloadError("zip_encrypted", "Tệp zip có mật khẩu: hãy gửi tệp không mã hóa.",
                           "The zip is password-protected: send it unencrypted.")
    chunks_out = _limited(_entry_bytes(archive, entry, spool), max_bytes, unpacked=True)
    return Body(chunks_out, "zip", entry.filename)


def _entry_bytes(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, spool: object) -> Iterator[bytes]:
    try:
        with archive.open(entry) as stream:
            while piece := stream.read(PIECE):
                yield piece
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise _bad("bad_zip", "zip", str(error)) from None
    finally:
        archive.close()
        spool.close()  # type: ignore[attr-defined]


def _bad(code: str, kind: str, reason: str) -> PayloadError:
    """A broken archive; the reason is the library's own words (English), kept for whoever debugs the sender."""
    return PayloadError(code, f"Không giải nén được dữ liệu {kind} (tệp hỏng): {reason}.",
                        f"The {kind} payload cannot be decompressed: {reason}.")
