"""Evidence files: only document and image types, checked by their first bytes as well as their name, and
no larger than EVIDENCE_MAX_BYTES. A file is stored under a random name; its original name is kept apart."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from govkpi.core.tabular import TabularError
from govkpi.core.workbooks import check_archive
from govkpi.tasks.models import Evidence, Task, TaskEvent

_ZIP = b"PK\x03\x04"
# extension -> (content type, how the file must begin)
ALLOWED = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (_ZIP,)),
    ".odt": ("application/vnd.oasis.opendocument.text", (_ZIP,)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (_ZIP,)),
}


class EvidenceRefused(ValueError):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi, self.message_en = message_vi, message_en


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (extension, content type) of an acceptable file, or raise EvidenceRefused saying why."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED:
        kinds = ", ".join(sorted(ALLOWED))
        raise EvidenceRefused(f"Chỉ nhận tệp {kinds}.", f"Only {kinds} files are accepted.")
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        limit = settings.EVIDENCE_MAX_BYTES // 2**20
        raise EvidenceRefused(f"Tệp lớn hơn {limit} MB.", f"The file is larger than {limit} MB.")
    content_type, signatures = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(signature) for signature in signatures):
        raise EvidenceRefused(f"Nội dung tệp «{name}» không đúng định dạng {extension}.",
                              f"The content of «{name}» is not a {extension} file.")
    if signatures == (_ZIP,):  # stored, not read here, but whoever downloads it opens it: no zip bomb either
        try:
            check_archive(upload.read(), settings.EVIDENCE_MAX_BYTES)
        except TabularError as error:
            raise EvidenceRefused(error.message_vi, error.message_en) from None
        finally:
            upload.seek(0)
    return extension, content_type


def store(task: Task, upload: UploadedFile, actor: Any, event: TaskEvent | None = None) -> Evidence:
    """Keep an evidence file (call inside the transaction of the report it belongs to)."""
    extension, content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = PurePath(upload.name or "").name[:255]
    upload.name = f"{secrets.token_hex(16)}{extension}"  # never the sender's name on disk
    return Evidence.objects.create(task=task, event=event, file=upload, name=original,
                                   size=upload.size, content_type=content_type, sha256=digest.hexdigest(),
                                   uploaded_by=getattr(actor, "username", "") or "", uploaded_at=timezone.now())
