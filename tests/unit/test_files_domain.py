"""Pure rules of the files area: object keys and extensions, original names as metadata, category limits,
the content check of an upload (with the in-memory store), and the webhook-window guard of the settings."""

from __future__ import annotations

import io

import pytest

from reference_service.config import SettingsError, load_settings
from reference_service.domain.files import (
    CATEGORIES,
    FileCategoryName,
    object_key,
    sanitised_extension,
    sanitised_name,
)
from reference_service.service_layer.file_errors import FileRejected
from reference_service.service_layer.handlers.files import FileDeps, upload_file
from tests.fakes import FakeFileRepository, FakeFileStorage, FixedClock, SequentialIds


@pytest.mark.parametrize(
    ("name", "content_type", "ext"),
    [
        ("photo.JPEG", "image/jpeg", "jpeg"),
        ("photo.jpg", "image/jpeg", "jpg"),
        ("invoice.pdf", "image/png", "png"),  # the name lies: the bytes decide
        ("../../etc/passwd", "application/pdf", "pdf"),
        ("no-extension", "application/pdf", "pdf"),
        ("weird.p d f", "application/pdf", "pdf"),
        (None, "image/webp", "webp"),
    ],
)
def test_the_extension_is_the_names_only_when_it_matches_the_bytes(
    name: str | None, content_type: str, ext: str
) -> None:
    assert sanitised_extension(name, content_type) == ext


def test_keys_are_the_category_path_and_a_ulid() -> None:
    cat = CATEGORIES[FileCategoryName.INVOICES]
    assert object_key(cat, "01JEH7Q2M5X9V3K8T4N6R0B1CD", "pdf") == "invoices/01JEH7Q2M5X9V3K8T4N6R0B1CD.pdf"


def test_original_names_keep_their_last_segment_printable_and_short() -> None:
    assert sanitised_name("C:\\Users\\ada\\receipt\x00.pdf") == "receipt.pdf"
    assert sanitised_name("a/b/" + "x" * 300) == "x" * 200
    assert sanitised_name("") is None and sanitised_name(None) is None


def deps() -> FileDeps:
    clock = FixedClock()
    return FileDeps(FakeFileStorage(clock), FakeFileRepository(), CATEGORIES, clock, SequentialIds())


def test_an_upload_whose_bytes_are_no_allowed_type_sends_nothing() -> None:
    d = deps()
    with pytest.raises(FileRejected) as refused:
        upload_file(d, io.BytesIO(b"GIF89a" + bytes(100)), category="invoices", filename="x.pdf")
    assert refused.value.reason == "type"
    assert d.storage.objects == {} and d.files.rows == {}  # type: ignore[attr-defined]


def test_a_one_shot_stream_is_stored_whole_after_its_first_bytes_were_sniffed() -> None:
    class OneShot(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def read(self, n: int = -1) -> bytes:
            return self._data.read(n)

    data = b"%PDF-1.7\n" + bytes(range(256)) * 100
    d = deps()
    link = upload_file(d, OneShot(data), category="invoices", filename="i.pdf")  # type: ignore[arg-type]
    assert d.storage.objects[link.file.key] == data  # type: ignore[attr-defined]
    assert link.file.size == len(data) and link.file.key.startswith("invoices/")


def test_webhook_ids_must_outlive_the_providers_retry_window() -> None:
    with pytest.raises(SettingsError, match="RETENTION_WEBHOOK_INBOX_DAYS"):
        load_settings(env={"RETENTION_WEBHOOK_INBOX_DAYS": "3"})
    assert load_settings(env={"RETENTION_WEBHOOK_INBOX_DAYS": "4"}).retention_webhook_inbox_days == 4
    assert load_settings(env={"RETENTION_WEBHOOK_INBOX_DAYS": "0"}).retention_webhook_inbox_days == 0
