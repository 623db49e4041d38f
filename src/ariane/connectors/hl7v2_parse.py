r"""HL7 v2 files -> messages -> segments: framing, batches, character sets, delimiters.

A small strict parser rather than python-hl7 (0.4.5) or hl7apy (1.3.5): python-hl7 splits segments
on CR only (the fixtures end them with LF), leaves MLLP framing, byte-order marks and MSH-18 to the
caller, and its `escape` writes a line feed as the invalid "\X a\"; hl7apy validates against
version-specific structures and refuses the Z-segments and v2.8 fields of real messages. What is
needed here is small: split, decode, index fields, unescape, and say *where* something is wrong.

Framing, at the byte level (every supported character set keeps CR, LF, VT and FS single-byte):

- a UTF-8 byte-order mark at the start of the file or of a message is removed;
- MLLP frames (VT ... FS CR) each hold messages; a frame without its FS end is a truncated message;
- segments end with CR, LF or CRLF; blank lines are skipped;
- MSH starts a message; FHS/BHS open a file or batch, BTS/FTS close it, and their counts (BTS-1,
  FTS-1) are checked; a batch without its trailer means the file was cut, so its last message is
  rejected rather than half-loaded;
- each message is decoded with the character set of its MSH-18 (first repetition): UNICODE UTF-8,
  ASCII, 8859/1 to 8859/9, 8859/15 (and ISO IR6 / ISO IR100); when MSH-18 is empty, UTF-8 is tried
  and then ISO-8859-1; any other declared set rejects the message.

Problems are reported as (segment, field, reason) with line numbers, never with a value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from ariane.connectors import hl7v2_time
from ariane.connectors.hl7v2_escape import Delimiters, EscapeError, unescape

_BOM: Final = b"\xef\xbb\xbf"
_VT: Final = 0x0B
_FS: Final = 0x1C
_BLANK: Final = b" \t\r\n"
_LINES: Final = re.compile(rb"\r\n|\r|\n")
_SEGMENT_ID: Final = re.compile(r"[A-Z][A-Z0-9]{2}")
_SEGMENT_ID_BYTES: Final = re.compile(rb"[A-Z][A-Z0-9]{2}")
_ENVELOPE: Final = frozenset({b"FHS", b"BHS", b"BTS", b"FTS"})

CHARSETS: Final[dict[str, str]] = {
    "UNICODE UTF-8": "utf-8",
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "ISO IR100": "latin-1",
    "8859/1": "latin-1",
    **{f"8859/{n}": f"iso8859-{n}" for n in range(2, 10)},
    "8859/15": "iso8859-15",
}


class MessageError(Exception):
    """Why a message is rejected: where (segment id, field name) and a value-free reason."""

    def __init__(self, segment: str | None, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.segment = segment
        self.field = field
        self.reason = reason


@dataclass
class RawMessage:
    """The undecoded segments of one message, with their line numbers in the file."""

    index: int  # 1-based position of the message in its file
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    problem: MessageError | None = None  # found while framing


@dataclass(frozen=True)
class BatchProblem:
    segment: str
    field: str | None
    reason: str


@dataclass
class _Batch:
    kind: bytes  # b"FHS" or b"BHS"
    line: int
    messages: int = 0  # messages (BHS) or batches (FHS) seen inside it


class Framer:
    """Splits one file's bytes into raw messages and batch-level problems."""

    def __init__(self, data: bytes) -> None:
        self.messages: list[RawMessage] = []
        self.problems: list[BatchProblem] = []
        self._current: RawMessage | None = None
        self._open: list[_Batch] = []
        self._line = 0
        for chunk, problem in _frames(data.removeprefix(_BOM)):
            self._chunk(chunk)
            if problem is not None:
                if self._current is None:  # nothing to blame but the framing itself
                    self._current = RawMessage(len(self.messages) + 1, [(self._line, b"")])
                    self.messages.append(self._current)
                self._current.problem = MessageError(None, None, f"line {self._line}: {problem}")
            self._current = None
        for batch in reversed(self._open):
            trailer = "BTS" if batch.kind == b"BHS" else "FTS"
            self.problems.append(
                BatchProblem(
                    trailer, None, f"{batch.kind.decode()} of line {batch.line} is never closed"
                )
            )
        if self._open and self.messages and self.messages[-1].problem is None:
            self.messages[-1].problem = MessageError(
                None, None, "batch trailer missing: the file may be truncated"
            )

    def _chunk(self, chunk: bytes) -> None:
        pieces = _LINES.split(chunk)
        if pieces[-1] == b"":
            pieces.pop()  # the terminator of the last segment
        for raw in pieces:
            self._line += 1
            line = raw.removeprefix(_BOM)
            if not line.strip():
                continue
            head = line[:3]
            if head in _ENVELOPE and (len(line) == 3 or not line[3:4].isalnum()):
                self._current = None
                self._envelope(head, line)
            elif head == b"MSH":
                self._current = RawMessage(len(self.messages) + 1, [(self._line, line)])
                self.messages.append(self._current)
                for batch in self._open[-1:]:
                    if batch.kind == b"BHS":
                        batch.messages += 1
            elif self._current is None:
                # Segments before any MSH: one rejected "message", so that they are counted.
                self._current = RawMessage(len(self.messages) + 1, [(self._line, line)])
                seg = head.decode("ascii") if _SEGMENT_ID_BYTES.fullmatch(head) else None
                self._current.problem = MessageError(
                    seg, None, f"line {self._line}: segments before any MSH segment"
                )
                self.messages.append(self._current)
            else:
                self._current.lines.append((self._line, line))

    def _envelope(self, head: bytes, line: bytes) -> None:
        if head in (b"FHS", b"BHS"):
            if head == b"BHS" and self._open and self._open[-1].kind == b"FHS":
                self._open[-1].messages += 1
            elif self._open and self._open[-1].kind == head:
                self._close(head, None)  # an unclosed batch before a new one
            self._open.append(_Batch(head, self._line))
            return
        opener = b"BHS" if head == b"BTS" else b"FHS"
        self._close(opener, line)

    def _close(self, opener: bytes, trailer: bytes | None) -> None:
        name = "BTS" if opener == b"BHS" else "FTS"
        if not self._open or self._open[-1].kind != opener:
            self.problems.append(
                BatchProblem(name, None, f"line {self._line}: {name} without {opener.decode()}")
            )
            return
        batch = self._open.pop()
        if trailer is None:
            self.problems.append(
                BatchProblem(name, None, f"{opener.decode()} of line {batch.line} is never closed")
            )
            return
        sep = trailer[3:4]
        declared = trailer.split(sep)[1].strip() if sep else b""
        what = "messages" if opener == b"BHS" else "batches"
        if declared and (not declared.isdigit() or len(declared) > 18):  # int(): 4300 digits max
            reason = f"line {self._line}: {name}-1 is not a count"
        elif declared and int(declared) != batch.messages:
            reason = f"line {self._line}: declares {int(declared)} {what}, {batch.messages} found"
        else:
            return
        self.problems.append(BatchProblem(name, f"{name}-1", reason))


def _frames(data: bytes) -> Iterator[tuple[bytes, str | None]]:
    """(content, problem) of each MLLP frame, or the whole data when it is not framed."""
    if data.lstrip(_BLANK)[:1] != bytes([_VT]):  # bytes.lstrip() would eat VT itself
        yield data, None
        return
    pos = data.find(_VT)
    while pos != -1:
        end = data.find(_FS, pos + 1)
        nxt = data.find(_VT, pos + 1)
        stop = len(data) if nxt == -1 else nxt
        if end == -1 or end > stop:
            yield data[pos + 1 : stop], "MLLP frame not terminated"
        else:
            yield data[pos + 1 : end], None
            if data[end + 1 : stop].strip(_BLANK):
                yield b"", "bytes outside MLLP frames"
        pos = nxt


class Segment:
    """One segment's fields, unescaped on access. Field numbers follow the standard (MSH-2 is
    the encoding characters); values are None when empty and "" when sent as ""."""

    __slots__ = ("_charset", "_d", "_msg", "fields", "id", "line")

    def __init__(self, msg: Message, text: str, line: int) -> None:
        self._msg = msg
        self._d = msg.delimiters
        self._charset = msg.charset
        self.line = line
        self.fields = text.split(self._d.field)
        self.id = self.fields[0]
        if self.id == "MSH":  # MSH-1 is the separator itself: shift so that fields[n] is MSH-n
            self.fields.insert(1, self._d.field)

    def raw(self, n: int) -> str:
        return self.fields[n] if n < len(self.fields) else ""

    def reps(self, n: int) -> list[str]:
        raw = self.fields[n] if n < len(self.fields) else ""
        return raw.split(self._d.repetition) if raw else []

    def value(self, raw: str, n: int) -> str | None:
        if raw == "":
            return None
        if raw == '""':
            return ""
        if self._d.escape not in raw:
            return raw
        try:
            return unescape(raw, self._d, self._charset)
        except EscapeError as exc:
            raise self.error(n, f"{exc}") from None

    def part(self, rep: str, n: int, c: int = 1, s: int = 1) -> str | None:
        """Component c, subcomponent s of one repetition of field n."""
        comps = rep.split(self._d.component, c)
        if c > len(comps):
            return None
        subs = comps[c - 1].split(self._d.subcomponent, s)
        return self.value(subs[s - 1], n) if s <= len(subs) else None

    def parts(self, rep: str, n: int, count: int) -> list[str | None]:
        """The first subcomponent of components 1..count of one repetition (None when absent)."""
        comps = rep.split(self._d.component)
        comps += [""] * (count - len(comps))
        sub = self._d.subcomponent
        return [self.value(c.split(sub, 1)[0], n) for c in comps[:count]]

    def get(self, n: int, c: int = 1, s: int = 1) -> str | None:
        """Component c, subcomponent s of the first repetition of field n."""
        raw = self.fields[n] if n < len(self.fields) else ""
        if not raw:
            return None
        d = self._d
        if (
            c == 1
            and s == 1
            and d.component not in raw
            and d.repetition not in raw
            and d.subcomponent not in raw
        ):
            return self.value(raw, n)  # the common case, without three splits
        return self.part(raw.split(d.repetition, 1)[0], n, c, s)

    def text(self, rep: str, n: int) -> str | None:
        """A whole repetition as text: separators that should have been escaped are kept."""
        return self.value(rep, n)

    def time(self, n: int) -> dt.datetime | None:
        raw = self.get(n)
        if not raw:
            return None
        try:
            return hl7v2_time.parse_dtm(raw, self._msg.offset)
        except ValueError:
            raise self.error(n, "not a valid HL7 date/time") from None

    def date(self, n: int) -> dt.date | None:
        raw = self.get(n)
        if not raw:
            return None
        try:
            return hl7v2_time.parse_date(raw)
        except ValueError:
            raise self.error(n, "not a valid HL7 date") from None

    def error(self, n: int | None, reason: str) -> MessageError:
        name = f"{self.id}-{n}" if n is not None else None
        return MessageError(self.id, name, f"line {self.line}: {reason}")


class Message:
    """One decoded message: delimiters, charset, segments, type and default time offset."""

    def __init__(self, raw: RawMessage) -> None:
        if raw.problem is not None:
            raise raw.problem
        first_line, msh = raw.lines[0]
        if len(msh) < 8:
            raise MessageError("MSH", "MSH-2", f"line {first_line}: MSH segment truncated")
        declared = _charset(msh, first_line)
        self.charset = declared or "utf-8"
        try:
            texts = [(n, b.decode(self.charset)) for n, b in raw.lines]
        except UnicodeDecodeError:
            if declared is not None:
                raise MessageError(
                    None, None, "not valid in the character set declared in MSH-18"
                ) from None
            self.charset = "latin-1"  # undeclared and not UTF-8: the brief's second guess
            texts = [(n, b.decode(self.charset)) for n, b in raw.lines]
        head = texts[0][1]
        try:
            self.delimiters = Delimiters.parse(head[3], head[4:].split(head[3], 1)[0])
        except ValueError:
            raise MessageError(
                "MSH", "MSH-2", f"line {first_line}: malformed encoding characters"
            ) from None
        self.offset: dt.timedelta | None = None
        self.segments: list[Segment] = []
        for n, text in texts:
            if not _SEGMENT_ID.fullmatch(text[:3]) or (
                len(text) > 3 and text[3] != self.delimiters.field
            ):
                raise MessageError(None, None, f"line {n}: not a segment (truncated or malformed)")
            self.segments.append(Segment(self, text, n))
        self.msh = self.segments[0]
        for n, name in ((9, "message type"), (10, "message control id"), (12, "version")):
            if not self.msh.get(n):
                raise self.msh.error(n, f"{name} missing (MSH truncated?)")
        self.code = self.msh.get(9, 1) or ""
        self.trigger = self.msh.get(9, 2) or ""
        self.version = self.msh.get(12) or ""
        self.offset = hl7v2_time.offset(self.msh.get(7) or "")


def _charset(msh: bytes, line: int) -> str | None:
    """The Python codec MSH-18 names, None for "try UTF-8 then ISO-8859-1"."""
    fields = msh.split(msh[3:4])
    declared = fields[17] if len(fields) > 17 else b""
    name = declared.split(msh[5:6])[0].split(msh[4:5])[0].strip() if declared else b""
    if not name:
        return None
    codec = CHARSETS.get(name.decode("latin-1").upper())
    if codec is None:
        raise MessageError("MSH", "MSH-18", f"line {line}: unsupported character set")
    return codec
