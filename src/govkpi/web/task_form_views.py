"""Forms to give a task (one unit, or many at once), record a directive with its appendix, edit a task and
reassign its lead; and the two small JSON answers behind them (deadline read-back and 6 rõ, unit names).

Views parse, ask `tasks.actions` (which authorises every write itself), and render. The deadline is read
back before saving: a submit whose deadline words were not yet shown read back is shown again, not saved.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govkpi.accounts.permissions import units_where
from govkpi.accounts.roles import Action
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.resolve import resolve_unit
from govkpi.orgunits.suggest import suggest_units, unit_label
from govkpi.tasks import actions, drafts
from govkpi.tasks.models import Assignees, Directive, DirectiveKind, Priority, ProductKind, Task

FAN_OUT_CHOICES = [("", gettext_lazy("Một đơn vị chủ trì"))] + [
    (a.value, a.label) for a in Assignees if a.value in drafts.FANS_OUT]


class TaskForm(forms.Form):
    """What a task says; the lead and coordinating units by name (a code picked in the autocomplete wins)."""

    directive = forms.ChoiceField(label=gettext_lazy("Văn bản giao"), required=False)
    code = forms.CharField(label=gettext_lazy("Mã (để trống: tự cấp)"), required=False, max_length=64)
    title = forms.CharField(label=gettext_lazy("Nhiệm vụ"), max_length=300)
    content = forms.CharField(label=gettext_lazy("Nội dung"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assignees = forms.ChoiceField(label=gettext_lazy("Giao cho"), choices=FAN_OUT_CHOICES, required=False)
    lead_name = forms.CharField(label=gettext_lazy("Cơ quan chủ trì"), required=False, max_length=300)
    lead = forms.CharField(required=False, widget=forms.HiddenInput)
    coordinating_names = forms.CharField(label=gettext_lazy("Cơ quan phối hợp (cách nhau bằng dấu ;)"),
                                         required=False, max_length=500)
    deadline_text = forms.CharField(label=gettext_lazy("Thời hạn (ghi bằng lời)"), required=False, max_length=300)
    deadline_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    responsible_position = forms.CharField(label=gettext_lazy("Người chịu trách nhiệm (chức vụ)"), required=False,
                                           max_length=200)
    responsible_name = forms.CharField(label=gettext_lazy("Họ tên"), required=False, max_length=200)
    product_kind = forms.ChoiceField(label=gettext_lazy("Loại sản phẩm"), required=False,
                                     choices=[("", "—"), *ProductKind.choices])
    product = forms.CharField(label=gettext_lazy("Sản phẩm"), required=False, max_length=2000)
    accepting_authority = forms.CharField(label=gettext_lazy("Cấp có thẩm quyền nghiệm thu"), required=False,
                                          max_length=300)
    priority = forms.ChoiceField(label=gettext_lazy("Mức ưu tiên"), choices=Priority.choices, initial=Priority.NORMAL)

    def __init__(self, *args: Any, directives: list[Directive] | None = None, allow_none: bool = False,
                 editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("directive", "code", "assignees", "lead_name", "lead"):
                del self.fields[name]
            return
        choices = [("", _("— Không theo văn bản (Chính phủ giao) —"))] if allow_none else []
        self.fields["directive"].choices = choices + [(d.code, str(d)) for d in directives or []]
        self.fields["directive"].required = not allow_none


def assignable_directives(user: Any) -> list[Directive]:
    """The directives whose tasks the user may give: those issued by units where the user manages tasks."""
    units = OrgUnit.objects.filter(units_where(user, Action.MANAGE_TASKS))
    query = Q(issuing_body__in=units)
    if actions.may_assign(user, None):
        query |= Q(issuing_body__isnull=True)
    return list(Directive.objects.filter(query).select_related("issuing_body").order_by("-issued_on", "code"))


def _pick_unit(code: str, name: str, on: datetime.date) -> tuple[OrgUnit | None, str]:
    """The unit picked (its code) or written (its name, through the resolver); else None and why."""
    if code:
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is not None:
            return unit, ""
    if not name.strip():
        return None, ""
    found = resolve_unit(name.strip(), on=on)
    return (found.unit, "") if found.found else (None, found.message_vi)


def _coordinating(form: forms.Form, data: QueryDict, on: datetime.date) -> list[OrgUnit]:
    """The coordinating units: codes picked in the autocomplete, then names written, separated by ";"."""
    units = list(OrgUnit.objects.filter(code__in=data.getlist("coordinating")))
    for name in form.cleaned_data.get("coordinating_names", "").split(";"):
        unit, why = _pick_unit("", name, on)
        if why:
            form.add_error("coordinating_names", why)
        elif unit is not None and unit not in units:
            units.append(unit)
    return units


def _reading(form: forms.Form, reference: datetime.date) -> drafts.DeadlineReading:
    reading = drafts.read_back(form.cleaned_data.get("deadline_text", ""), reference)
    if not reading.ok:
        form.add_error("deadline_text", reading.message_vi)
    return reading


def _missing(form: forms.Form, reading: drafts.DeadlineReading, lead: str) -> list[str]:
    data = form.cleaned_data
    return drafts.point_labels(drafts.missing_points(
        title=data.get("title", ""), responsible=data.get("responsible_position", "") + data.get("responsible_name", ""),
        deadline=reading, lead=lead, assignees=data.get("assignees", ""), product=data.get("product", ""),
        accepting_authority=data.get("accepting_authority", "")))


def _refused(request: HttpRequest, error: PermissionDenied, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**context, "refusal": str(error).split(" / ")[0]}, status=403)


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    """Give a task: one lead unit or many at once, the deadline in words read back, the 6 rõ checked."""
    directives = assignable_directives(request.user)
    allow_none = actions.may_assign(request.user, None)
    context: dict[str, Any] = {"directives": directives, "allow_none": allow_none, "editing": False}
    if not directives and not allow_none:
        context["refusal"] = _("Đơn vị của bạn chưa có văn bản chỉ đạo nào để giao nhiệm vụ theo. Hãy ghi văn bản "
                               "trước (Nhiệm vụ › Ghi văn bản chỉ đạo), hoặc đề nghị quản trị đơn vị cấp vai trò "
                               "«Quản lý nhiệm vụ» tại cơ quan ban hành văn bản.")
        return render(request, "web/task_form.html", context, status=403)
    data = request.POST if request.method == "POST" else None
    form = TaskForm(data, directives=directives, allow_none=allow_none,
                    initial={"directive": request.GET.get("directive", "")})
    context["form"] = form
    if data is None or not form.is_valid():
        return render(request, "web/task_form.html", context)
    fields = form.cleaned_data
    directive = next((d for d in directives if d.code == fields["directive"]), None)
    reference = directive.issued_on if directive else timezone.localdate()
    lead, why = _pick_unit(fields["lead"], fields["lead_name"], reference)
    if why:
        form.add_error("lead_name", why)
    elif lead is None and not fields["assignees"]:
        form.add_error("lead_name", _("Cần chọn cơ quan chủ trì, hoặc giao cho nhiều đơn vị."))
    coordinating = _coordinating(form, data, reference)
    reading = _reading(form, reference)
    context.update(reading=reading, missing=_missing(form, reading, lead.code if lead else ""), lead_unit=lead,
                   coordinating=coordinating)
    if form.errors:
        return render(request, "web/task_form.html", context)
    if fields["deadline_text"].strip() and fields["deadline_seen"] != fields["deadline_text"]:
        # Not read back yet (no script, or changed since): show what it means and ask once more.
        context["confirm"] = True
        form.data = form.data.copy()
        form.data["deadline_seen"] = fields["deadline_text"]
        return render(request, "web/task_form.html", context)
    try:
        task = actions.create_task(
            code=fields["code"], title=fields["title"], content=fields["content"], directive=directive,
            assigned_on=reference, actor=request.user, lead=None if fields["assignees"] else lead,
            coordinating=coordinating, deadline_text=fields["deadline_text"], assignees=fields["assignees"],
            lead_text=fields["lead_name"][:300], responsible_position=fields["responsible_position"],
            responsible_name=fields["responsible_name"], product_kind=fields["product_kind"],
            product=fields["product"], accepting_authority=fields["accepting_authority"],
            priority=fields["priority"])
    except PermissionDenied as error:
        return _refused(request, error, "web/task_form.html", context)
    except actions.TaskRuleError as error:
        form.add_error("code" if error.code.startswith(("code", "task_exists")) else None, error.message_vi)
        return render(request, "web/task_form.html", context)
    return redirect("web:task", code=task.code)


def _task_initial(task: Task) -> dict[str, Any]:
    names = "; ".join(u.name for u in task.coordinating_units.all())
    return {**{name: getattr(task, name) for name in actions.EDITABLE}, "deadline_text": task.deadline_text,
            "deadline_seen": task.deadline_text, "coordinating_names": names}


@login_required
def task_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Correct a task's assignment, or give it to another lead unit (with a reason): the assigner's steps."""
    task = Task.objects.select_related("lead_unit", "directive__issuing_body").filter(code=code).first()
    if task is None:
        raise Http404(code)
    context: dict[str, Any] = {"task": task, "editing": True}
    if not actions.may_assign(request.user, task.directive):
        unit = actions.assigner_unit(task)
        context["refusal"] = _("Chỉ cán bộ quản lý nhiệm vụ của %(unit)s (cơ quan giao nhiệm vụ) được sửa hoặc chuyển "
                               "nhiệm vụ này. Hãy đề nghị quản trị của %(unit)s cấp vai trò «Quản lý nhiệm vụ», "
                               "hoặc báo vướng mắc trên trang nhiệm vụ.") % {"unit": unit.name}
        return render(request, "web/task_form.html", context, status=403)
    post = request.POST if request.method == "POST" else None
    step = post.get("step", "edit") if post else ""
    form = TaskForm(post if step == "edit" else None, editing=True, initial=_task_initial(task))
    context["form"] = form
    try:
        if step == "reassign":
            lead, why = _pick_unit(post.get("lead", ""), post.get("lead_name", ""), timezone.localdate())
            if lead is None:
                context["reassign_error"] = why or _("Cần chọn cơ quan chủ trì mới.")
                return render(request, "web/task_form.html", context)
            actions.reassign_lead(task, request.user, lead, post.get("reason", ""))
            return redirect("web:task", code=task.code)
        if step == "edit" and form.is_valid():
            reading = _reading(form, task.assigned_on)
            coordinating = _coordinating(form, post, task.assigned_on)
            context.update(reading=reading, missing=_missing(form, reading, task.lead_unit.code
                                                             if task.lead_unit_id else ""))
            if not form.errors:
                fields = form.cleaned_data
                actions.edit_task(task, request.user, deadline_text=fields["deadline_text"],
                                  coordinating=coordinating, **{n: fields[n] for n in actions.EDITABLE})
                return redirect("web:task", code=task.code)
    except PermissionDenied as error:
        return _refused(request, error, "web/task_form.html", context)
    except actions.TaskRuleError as error:
        if step == "reassign":
            context["reassign_error"] = error.message_vi
        else:
            form.add_error("deadline_text" if error.code == "recurrence_fixed" else None, error.message_vi)
    return render(request, "web/task_form.html", context)


class DirectiveForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại văn bản"), choices=DirectiveKind.choices)
    number = forms.CharField(label=gettext_lazy("Số hiệu"), required=False, max_length=64)
    issued_on = forms.DateField(label=gettext_lazy("Ngày ban hành"), widget=forms.DateInput(attrs={"type": "date"}))
    issuing_body_name = forms.CharField(label=gettext_lazy("Cơ quan ban hành"), max_length=300)
    issuing_body = forms.CharField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=gettext_lazy("Trích yếu"), max_length=500)
    meeting = forms.CharField(label=gettext_lazy("Phiên họp (nếu có)"), required=False, max_length=500)
    code = forms.CharField(label=gettext_lazy("Mã (để trống: tự cấp)"), required=False, max_length=64)
    appendix = forms.FileField(label=gettext_lazy("Phụ lục nhiệm vụ (.xlsx, nếu có)"), required=False)


def _home_unit(user: Any) -> OrgUnit | None:
    return OrgUnit.objects.filter(units_where(user, Action.MANAGE_TASKS)).order_by("level", "code").first()


@login_required
def directive_new(request: HttpRequest) -> HttpResponse:
    """Record a directive issued by the user's unit, and with it the tasks of its appendix (all or nothing)."""
    from govkpi.tasks.appendix import AppendixError, import_appendix

    home = _home_unit(request.user)
    form = DirectiveForm(request.POST or None, request.FILES or None,
                         initial={"issuing_body": home.code if home else "", "issuing_body_name": home.name if home
                                  else "", "issued_on": timezone.localdate()})
    context: dict[str, Any] = {"form": form}
    if home is None:
        context["refusal"] = _("Cần vai trò «Quản lý nhiệm vụ» tại cơ quan ban hành để ghi văn bản; hãy đề nghị quản "
                               "trị đơn vị của bạn cấp vai trò này.")
        return render(request, "web/directive_form.html", context, status=403)
    if request.method != "POST" or not form.is_valid():
        return render(request, "web/directive_form.html", context)
    fields = form.cleaned_data
    issuer, why = _pick_unit(fields["issuing_body"], fields["issuing_body_name"], fields["issued_on"])
    upload = fields["appendix"]
    if issuer is None:
        form.add_error("issuing_body_name", why or _("Cần chọn cơ quan ban hành."))
    if upload is not None and upload.size > settings.DATA_FILE_MAX_BYTES:
        form.add_error("appendix", _("Tệp lớn hơn %(mb)s MB.") % {"mb": settings.DATA_FILE_MAX_BYTES // 2**20})
    if form.errors:
        return render(request, "web/directive_form.html", context)
    report = None
    try:
        with transaction.atomic():
            directive = actions.create_directive(
                actor=request.user, kind=fields["kind"], issued_on=fields["issued_on"], issuing_body=issuer,
                title=fields["title"], number=fields["number"], code=fields["code"], meeting=fields["meeting"])
            if upload is not None:
                report = import_appendix(upload.read(), upload.name or "", directive=directive, actor=request.user)
                if not report.written:
                    transaction.set_rollback(True)  # the directive goes with its appendix, or not at all
    except PermissionDenied as error:
        return _refused(request, error, "web/directive_form.html", context)
    except actions.TaskRuleError as error:
        form.add_error("code" if "code" in error.code or "exists" in error.code else None, error.message_vi)
        return render(request, "web/directive_form.html", context)
    except AppendixError as error:
        form.add_error("appendix", error.message_vi)
        return render(request, "web/directive_form.html", context)
    if report is not None and not report.written:
        return render(request, "web/directive_form.html", {**context, "report": report})
    if report is not None:  # the task page's note is styled as a warning: the board itself says what was made
        return redirect(f"/tasks/?directive={directive.code}")
    return redirect(f"/tasks/new/?directive={directive.code}")


@login_required
def form_check(request: HttpRequest) -> JsonResponse:
    """The deadline words read back and the 6 rõ points missing, for what the form holds so far."""
    g = request.GET
    directive = Directive.objects.filter(code=g.get("directive", "")).first()
    reference = directive.issued_on if directive else timezone.localdate()
    reading = drafts.read_back(g.get("deadline_text", "")[:400], reference)
    lead = g.get("lead", "") or ("name" if g.get("lead_name", "").strip() else "")
    missing = drafts.missing_points(
        title=g.get("title", ""), responsible=g.get("responsible_position", "") + g.get("responsible_name", ""),
        deadline=reading, lead=lead, assignees=g.get("assignees", ""), product=g.get("product", ""),
        accepting_authority=g.get("accepting_authority", ""))
    return JsonResponse({
        "deadline": {"text": reading.text, "ok": reading.ok, "shown": reading.shown, "undated": reading.undated,
                     "date": reading.due.isoformat() if reading.due else None, "recurrence": reading.recurrence,
                     "code": reading.code},
        "six_clear": {"missing": missing, "labels": drafts.point_labels(missing), "score": 6 - len(missing)}})


@login_required
def unit_suggestions(request: HttpRequest) -> JsonResponse:
    """Units whose names start with what was typed ("Bộ Công", "BCA", "TP.HCM"), for the autocomplete."""
    units = suggest_units(request.GET.get("q", "")[:200], timezone.localdate())
    return JsonResponse({"units": [{"code": u.code, "name": u.name, "label": unit_label(u)} for u in units]})
