"""Connectors added, changed and removed (the CLI's `govkpi connector add|remove` asks here)."""

from __future__ import annotations

import urllib.parse

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from govkpi.audit.trail import record
from govkpi.connectors.models import Connector
from govkpi.connectors.pull import ConnectorError


def _code_pairs(pairs: list[str], what: str) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        source, sep, local = pair.partition("=")
        if not sep or not source.strip() or not local.strip():
            raise ConnectorError("bad_code_map", f"«{pair}» phải có dạng MÃ_NGUỒN=MÃ_Ở_ĐÂY ({what}).",
                                 f"«{pair}» must be SOURCE_CODE=LOCAL_CODE ({what}).")
        mapping[source.strip()] = local.strip()
    return mapping


def add_connector(name: str, url: str, *, run_as: str, org_units: list[str], data_sets: list[str] = (),
                  data_elements: list[str] = (), token_env: str = "", token_file: str = "",
                  unit_map: list[str] = (), element_map: list[str] = (), every_minutes: int = 60,
                  overlap_seconds: int = 300, added_by: str = "") -> Connector:
    """A new connector, checked before it is saved; ConnectorError says what is wrong."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConnectorError("bad_url", f"Địa chỉ «{url}» phải là http(s)://máy-chủ[:cổng][/đường-dẫn].",
                             f"«{url}» must be an http(s)://host[:port][/path] address.")
    if Connector.objects.filter(name=name).exists():
        raise ConnectorError("connector_exists", f"Đã có kết nối «{name}».", f"A connector «{name}» exists.")
    user = get_user_model().objects.filter(username=run_as, is_active=True).first()
    if user is None:
        raise ConnectorError("no_such_user", f"Không có người dùng «{run_as}» đang hoạt động.",
                             f"No active user «{run_as}».")
    if not (token_env or token_file):
        raise ConnectorError("no_token", "Cần --token-env hoặc --token-file (mã truy cập không lưu trong CSDL).",
                             "--token-env or --token-file is needed (tokens are not stored in the database).")
    if not org_units or not (data_sets or data_elements):
        raise ConnectorError("nothing_to_pull", "Cần --org-unit và --data-set hoặc --data-element.",
                             "--org-unit and --data-set or --data-element are needed.")
    code_map = {"units": _code_pairs(list(unit_map), "đơn vị/unit"),
                "elements": _code_pairs(list(element_map), "chỉ tiêu/data element")}
    with transaction.atomic():
        connector = Connector.objects.create(
            name=name, url=url.rstrip("/"), token_env=token_env, token_file=token_file, run_as=user,
            org_units=list(org_units), data_sets=list(data_sets), data_elements=list(data_elements),
            code_map=code_map, every_minutes=every_minutes, overlap_seconds=overlap_seconds,
            created_at=timezone.now(), created_by=added_by)
        record("connector.added", actor=added_by, object_type="connector", object_key=name,
               after={"url": connector.url, "run_as": run_as, "org_units": connector.org_units,
                      "data_sets": connector.data_sets, "data_elements": connector.data_elements,
                      "code_map": code_map})
    return connector


def remove_connector(name: str, removed_by: str = "") -> None:
    """Remove a connector and the record of its pulls (the values it wrote stay, with their import batches)."""
    with transaction.atomic():
        connector = Connector.objects.filter(name=name).first()
        if connector is None:
            raise ConnectorError("no_such_connector", f"Không có kết nối «{name}».", f"No connector «{name}».")
        before = {"url": connector.url, "watermark": connector.watermark.isoformat() if connector.watermark else None}
        connector.delete()
        record("connector.removed", actor=removed_by, object_type="connector", object_key=name, before=before)
