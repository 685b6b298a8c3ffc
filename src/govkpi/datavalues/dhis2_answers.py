"""What a DHIS2 client is told about an import, in DHIS2's words: the WebMessage of DHIS2 2.38+ wrapping an
ImportSummary whose conflicts carry DHIS2's error codes (E76xx, as DHIS2 2.40–2.42's dataValueSets import names
them; DHIS2's Aggregate Data Exchange reads `errorCode` as its own enum, so an unknown code would break it).

Sources: dhis2-core 2.40.9 `WebMessageUtils.importSummary` (ERROR answers 409 Conflict, WARNING 200 with status
WARNING, otherwise 200 OK), `DataValueImportConflict` (which code and property for which refusal) and
`ImportConflict` (the conflict's shape: object, objects, value, errorCode, property, indexes).
"""

from __future__ import annotations

from typing import Any

from govkpi.datavalues.writer import Conflict, WriteResult

# govkpi's own refusal codes that have a precise DHIS2 counterpart (DataValueImportConflict, 2.40.9).
_DHIS2_CODE = {
    "unknown_data_element": "E7610",
    "period_type_mismatch": "E7632",
    "unit_kind_not_reporting": "E7636",
    "forbidden": "E7617",
    "future_period": "E7641",
    "period_closed": "E7640",
    "submitted_locked": "E7642",
    "approved_locked": "E7642",
    "comment_too_long": "E7620",
    "category_option_combo_unknown": "E7613",
    "attribute_option_combo_unknown": "E7615",
    "value_required": "E7618",
}
# Otherwise by the field refused (DataValueImportConflict's property for each code).
_BY_FIELD = {"dataElement": "E7610", "period": "E7611", "orgUnit": "E7612", "value": "E7619", "comment": "E7620",
             "categoryOptionCombo": "E7613", "attributeOptionCombo": "E7615"}
# The object type DHIS2 names in a conflict's `objects`, by field.
_OBJECT_TYPE = {"dataElement": "dataElement", "period": "period", "orgUnit": "organisationUnit",
                "categoryOptionCombo": "categoryOptionCombo", "attributeOptionCombo": "categoryOptionCombo"}
# The first version whose dataValueSets answer is a WebMessage (2.38); an older client gets the bare summary.
WEB_MESSAGE_SINCE = 38


def dhis2_error_code(conflict: Conflict) -> str:
    return _DHIS2_CODE.get(conflict.code) or _BY_FIELD.get(conflict.field, "E7619")


def _conflict(conflict: Conflict) -> dict[str, Any]:
    objects = {_OBJECT_TYPE.get(conflict.field, conflict.field): conflict.object} if conflict.object else {}
    return {"object": conflict.object, "objects": objects,
            "value": f"{conflict.message_vi} / {conflict.message_en}", "errorCode": dhis2_error_code(conflict),
            "property": conflict.field, "indexes": conflict.indexes or [conflict.index],
            # govkpi's own, for people and for the native clients that know them
            "govkpiCode": conflict.code, "row": conflict.row, "message_vi": conflict.message_vi,
            "message_en": conflict.message_en}


def import_summary(result: WriteResult) -> dict[str, Any]:
    """DHIS2's ImportSummary for a write. Counts mean what they say: new values are "imported", changed ones
    "updated", unchanged, refused and strategy-ignored ones "ignored" (unchanged ones are left untouched).
    `rejectedIndexes` names the refused and the strategy-ignored items, as DHIS2 2.40.9 does
    (DefaultDataValueSetService.importDataValue: `incrementIgnored` then `addRejected`)."""
    counts = {"imported": result.created, "updated": result.updated,
              "ignored": result.unchanged + result.rejected + result.ignored, "deleted": result.deleted}
    rejected = sorted({i for c in result.conflicts for i in (c.indexes or [c.index])} | set(result.ignored_indexes))
    description = {"SUCCESS": "Import process completed successfully",
                   "WARNING": "Import process completed with conflicts",
                   "ERROR": "Import process failed: nothing was written"}[result.status]
    return {"responseType": "ImportSummary", "status": result.status, "description": description,
            "importOptions": {"dryRun": result.dry_run, "atomicMode": "ALL" if result.atomic else "NONE",
                              "idSchemes": {"idScheme": "CODE"}},
            "importCount": counts, "conflicts": [_conflict(c) for c in result.conflicts],
            "rejectedIndexes": rejected, "warnings": [c.as_dict() for c in result.warnings],
            "unchanged": result.unchanged, "dataSetComplete": "false"}


def web_message(result: WriteResult, version: int | None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body DHIS2 answers an import with, for the API version the client named (none: the
    newest behaviour)."""
    summary = import_summary(result)
    http = 409 if result.status == "ERROR" else 200
    if version is not None and version < WEB_MESSAGE_SINCE:
        return http, summary
    status, message = {"ERROR": ("ERROR", "An error occurred, please check import summary."),
                       "WARNING": ("WARNING", "Import completed with warnings, please check import summary."),
                       "SUCCESS": ("OK", "Import was successful.")}[result.status]
    return http, {"httpStatus": "Conflict" if http == 409 else "OK", "httpStatusCode": http, "status": status,
                  "message": message, "response": summary}
