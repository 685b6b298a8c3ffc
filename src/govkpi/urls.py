from django.contrib import admin
from django.urls import include, path, re_path

from govkpi.accounts.admin_site import GovkpiAdminSite
from govkpi.accounts.views import SignInView

from govkpi.api import dhis2_metadata, dhis2_tasks, dhis2_web
from govkpi.api.health import health_view
from govkpi.api.main import api
from govkpi.live import stream

# The admin site only for system administrators who have passed the second factor (django-otp's documented
# switch, narrowed to system administrators; a signed-in person it refuses gets the 403 page, not a loop).
admin.site.__class__ = GovkpiAdminSite
admin.site.login = SignInView.as_view()  # one sign-in page; the second factor follows it

# Unhandled exceptions: a database that is busy or gone answers 503, a lost race 409, JSON under /api/.
handler500 = "govkpi.web.problems.server_error"
# 403 and 404 say why and what to do next (which role, from whom); JSON problems under /api/.
handler403 = "govkpi.accounts.error_pages.permission_denied"
handler404 = "govkpi.accounts.error_pages.page_not_found"

urlpatterns = [
    path("account/", include("govkpi.accounts.urls")),
    path("admin/", admin.site.urls),
    # DHIS2's own paths: unversioned or versioned (/api/40/), with a format suffix (dataValueSets.csv).
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?dataValueSets(?:\.(?P<suffix>json|csv|xml|adx))?/?$",
            dhis2_web.data_value_sets, name="dhis2-data-value-sets"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?dataValues(?:\.(?P<suffix>json))?/?$", dhis2_web.data_values,
            name="dhis2-data-values"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?system/info(?:\.(?P<suffix>json))?/?$", dhis2_web.system_info,
            name="dhis2-system-info"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?me(?:\.(?P<suffix>json))?/?$", dhis2_web.me, name="dhis2-me"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?system/tasks/(?P<job_type>[A-Z_]+)/(?P<uid>[A-Za-z0-9]+)"
            r"(?:\.(?P<suffix>json))?/?$", dhis2_tasks.task_notifications, name="dhis2-task"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?system/taskSummaries/(?P<job_type>[A-Z_]+)/(?P<uid>[A-Za-z0-9]+)"
            r"(?:\.(?P<suffix>json))?/?$", dhis2_tasks.task_summary, name="dhis2-task-summary"),
    re_path(r"^api/(?:(?P<version>[0-9]{2})/)?(?P<resource>organisationUnits|organisationUnitLevels|dataElements|"
            r"dataSets|categoryCombos|categoryOptionCombos|categories|categoryOptions)(?:/(?P<uid>[^/.]+))?"
            r"(?:\.(?P<suffix>json))?/?$", dhis2_metadata.metadata, name="dhis2-metadata"),
    path("api/v1/events", stream.events, name="events"),  # server-sent events: a plain async view, not ninja
    path("api/v1/health", health_view, name="health"),  # a plain view: it answers when the database does not
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("public/", include("govkpi.portal.urls")),
    path("inbox/", include("govkpi.notify.urls")),  # a person's notifications and their choices
    path("briefs/", include("govkpi.brief.urls")),  # the meeting brief, on demand and as scheduled
    path("discussion/", include("govkpi.discussion.urls")),  # comment threads on submissions and tasks
    path("problems/", include("govkpi.problems.urls")),  # problems raised from below, their answers
    path("", include("govkpi.web.urls")),
]
