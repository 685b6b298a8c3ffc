"""An anchor of the audit trail: the head's sequence number and digest, kept outside the database.

The hash chain shows rows changed, inserted or removed in the middle; rows removed from the end (or every row)
leave a shorter chain that is still whole. An anchor written down earlier (`govkpi audit anchor`) is what
`govkpi audit verify --expect` compares the trail with. No Django import: the command line parses it first.
"""

from __future__ import annotations

from dataclasses import dataclass

DIGEST_LENGTH = 64  # hex characters of an HMAC-SHA256


@dataclass(frozen=True)
class Anchor:
    """The head of the trail, kept outside the database: rows removed from the end cannot be noticed otherwise."""

    seq: int
    digest: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Read "SEQ:DIGEST" as `govkpi audit anchor` prints it; ValueError with a bilingual message if not."""
        seq, _, digest = text.strip().partition(":")
        well_formed = len(digest) == DIGEST_LENGTH and all(c in "0123456789abcdef" for c in digest)
        if not seq.isdigit() or int(seq) < 1 or not well_formed:
            raise ValueError(f"Mốc không hợp lệ «{text}», cần SỐ:MÃ (như `govkpi audit anchor` in ra). / "
                             f"Invalid anchor «{text}», expected SEQ:DIGEST (as `govkpi audit anchor` prints).")
        return cls(int(seq), digest)
