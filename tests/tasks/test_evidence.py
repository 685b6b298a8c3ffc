"""Evidence files: a zipped document (.xlsx, .docx…) that is a zip bomb is refused like any uploaded workbook."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govkpi.tasks.evidence import EvidenceRefused, check_upload
from tests.core.workbook_bombs import cell_bomb, plain_workbook


def test_a_zip_bomb_evidence_file_is_refused_saying_why():
    with pytest.raises(EvidenceRefused) as caught:
        check_upload(SimpleUploadedFile("bao-cao.xlsx", cell_bomb(["a"])))
    assert "tỷ lệ nén" in caught.value.message_vi and "zip bomb" in caught.value.message_en


def test_an_ordinary_workbook_is_accepted_as_evidence_and_left_to_read_from_its_start():
    upload = SimpleUploadedFile("bao-cao.xlsx", plain_workbook(["a"]))
    assert check_upload(upload)[0] == ".xlsx"
    assert upload.read(4) == b"PK\x03\x04"
