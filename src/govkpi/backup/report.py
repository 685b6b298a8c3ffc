"""The lines `govkpi backup` and `govkpi restore` print, Vietnamese first, then English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govkpi.backup.operations import Restored, Verdict


def _what(manifest: dict[str, Any]) -> str:
    counts, head = manifest["counts"], manifest["audit_head"]
    chain = f" (đầu chuỗi/head {head['seq']}:{head['digest'][:12]}…)" if head else ""
    return (f"{counts['data_values']:,} số liệu/values, {counts['audit_entries']:,} bản ghi kiểm toán/audit "
            f"entries{chain}, {manifest['media']['files']} tệp/files")


def backup_lines(path: Path, manifest: dict[str, Any]) -> list[str]:
    database = manifest["database"]
    tool = f", {database['pg_dump']}" if "pg_dump" in database else ""
    lines = [f"Đã sao lưu / backed up: {path} ({path.stat().st_size:,} B; {database['vendor']}{tool})",
             f"  {_what(manifest)}"]
    source = manifest["audit_key"]["source"]
    if source == "development":
        lines.append("  Lưu ý: khóa kiểm toán là khóa phát triển (công khai), chỉ dùng thử. / Note: the audit key is the "
                     "development key (public): for trials only.")
    elif source != "GOVKPI_AUDIT_KEY":
        lines.append(f"  Lưu ý: khóa kiểm toán suy ra từ {source}; giữ khóa đó riêng, ngoài bản sao lưu, để khôi phục "
                     f"được. / Note: the audit key is derived from {source}; keep that key apart from the backups, "
                     f"a restore needs it.")
    else:
        lines.append("  Khôi phục cần cùng GOVKPI_AUDIT_KEY, giữ riêng ngoài bản sao lưu. / A restore needs the same "
                     "GOVKPI_AUDIT_KEY, kept apart from the backups.")
    return lines


def restore_lines(path: Path, restored: Restored) -> list[str]:
    manifest = restored.manifest
    made = f"sao lưu lúc / made at {manifest['created_at']}, govkpi {manifest['govkpi_version']}"
    lines = [f"Đã khôi phục / restored: {path} ({made})", f"  {_what(manifest)}"]
    if restored.migrated:
        lines.append(f"  Đã chạy migrate / migrated: {len(restored.migrated)} ({', '.join(restored.migrated[:3])}…)")
    return lines


def verdict_lines(verdicts: list[Verdict]) -> list[str]:
    lines = []
    for verdict in verdicts:
        mark = "ĐẠT/OK" if verdict.ok else "LỖI/FAILED"
        lines.append(f"[{mark}] {verdict.name}")
        lines.extend(f"  {line}" for line in verdict.lines[:50])
        if len(verdict.lines) > 50:
            lines.append(f"  … +{len(verdict.lines) - 50}")
    return lines
