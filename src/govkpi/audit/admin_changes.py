"""Every change made through the admin site goes to the audit trail, with who, from where and what changed.

One mechanism for every admin registration, ours and those of Django, django-otp and axes alike: while a request
to the admin site is answered (audit.context), every model saved, deleted or re-linked writes a row
`admin.<app>.<model>.<create|update|delete|link>` with the fields that changed, before and after. A ModelAdmin mixin
would miss registrations made by other apps and the objects an admin action or inline touches; the admin's
LogEntry is written in bulk (no signal) for bulk deletions and carries field labels, not values.

Saves are watched for every model (a save sends its signals anyway; inlines and admin actions save other
models). Deletions and links are watched only for the models the admin site edits (`connect`, at start-up):
a delete receiver on every model would turn each of Django's fast `DELETE … WHERE` into a fetch and a signal
per row everywhere, bulk imports included.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from govkpi.audit.context import current_request
from govkpi.audit.trail import record

# Written by the machinery of every request, or audited already by what they are: not admin changes.
_NOT_CHANGES = {"admin.logentry", "audit.auditentry", "sessions.session", "contenttypes.contenttype",
                "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
# Sign-in and sign-out pages of the admin site save the user's last sign-in and the session: audited as sign-ins.
_NOT_CHANGE_VIEWS = {"login", "logout"}
# Secrets are never copied into the trail: the row says the field changed, not to what.
_SECRET_FIELDS = {"password", "key", "digest", "secret", "token", "bin_key"}
SECRET = "***"


def _admin_request() -> HttpRequest | None:
    request = current_request()
    match = getattr(request, "resolver_match", None)
    if match is None or "admin" not in match.app_names or match.url_name in _NOT_CHANGE_VIEWS:
        return None
    return request


def _watched(model: type[models.Model]) -> bool:
    return model._meta.label_lower not in _NOT_CHANGES


def _fields(obj: models.Model) -> dict[str, Any]:
    return {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}


def _shown(name: str, value: Any) -> Any:
    return SECRET if name in _SECRET_FIELDS and value not in (None, "") else value


def _write(request: HttpRequest, verb: str, obj: models.Model, before: dict[str, Any] | None,
           after: dict[str, Any] | None) -> None:
    meta = obj._meta
    record(f"admin.{meta.app_label}.{meta.model_name}.{verb}", actor=request.user, object_type=meta.object_name or "",
           object_key=str(obj.pk), request=request,
           before=None if before is None else {name: _shown(name, value) for name, value in before.items()},
           after=None if after is None else {name: _shown(name, value) for name, value in after.items()})


@receiver(pre_save, dispatch_uid="audit.admin_changes.before")
def _keep_before(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    request = _admin_request()
    if request is None or raw or not _watched(sender) or instance.pk is None:
        return
    stored = sender._base_manager.filter(pk=instance.pk).first()
    if stored is not None:
        kept = request.__dict__.setdefault("_audit_before", {})
        kept[(sender._meta.label_lower, instance.pk)] = _fields(stored)


@receiver(post_save, dispatch_uid="audit.admin_changes.saved")
def _saved(sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False,
           **kwargs: Any) -> None:
    request = _admin_request()
    if request is None or raw or not _watched(sender):
        return
    after = _fields(instance)
    before = request.__dict__.get("_audit_before", {}).pop((sender._meta.label_lower, instance.pk), None)
    if created or before is None:
        _write(request, "create", instance, None, after)
        return
    changed = [name for name in after if before.get(name) != after[name]]
    if changed:  # "save" without a change writes nothing
        _write(request, "update", instance, {n: before.get(n) for n in changed}, {n: after[n] for n in changed})


def _deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    request = _admin_request()
    if request is not None and _watched(sender):
        _write(request, "delete", instance, _fields(instance), None)


def _linked(sender: Any, instance: models.Model, action: str, reverse: bool, model: type[models.Model],
            pk_set: set[Any] | None, **kwargs: Any) -> None:
    """Groups and permissions of a user, themes of an indicator: the ids added or removed."""
    request = _admin_request()
    if request is None or action not in {"post_add", "post_remove", "pre_clear"} or not _watched(type(instance)):
        return
    field = next((f.name for f in instance._meta.many_to_many if f.remote_field.through is sender), sender.__name__)
    if action == "pre_clear":
        pk_set = set(getattr(instance, field).values_list("pk", flat=True)) if not reverse else None
    if not pk_set:
        return
    ids = sorted(pk_set, key=str)
    gone = action != "post_add"
    _write(request, "link", instance, {field: ids} if gone else None, None if gone else {field: ids})


def edited_models(site: admin.AdminSite) -> set[type[models.Model]]:
    """The models a site lets staff edit: every registration and the models of its inlines."""
    found: set[type[models.Model]] = set()
    for model, model_admin in site._registry.items():
        found.add(model)
        found.update(inline.model for inline in model_admin.inlines)
    return {model for model in found if _watched(model)}


def connect(site: admin.AdminSite) -> None:
    """Watch the deletions and links of what `site` edits (called once the admin modules are loaded)."""
    for model in edited_models(site):
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"audit.admin_changes.deleted.{model._meta.label}")
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_linked, sender=through, dispatch_uid=f"audit.admin_changes.linked.{through._meta.label}")
