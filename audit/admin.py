"""The audit trail in the admin: for the Privacy officers group only, and reading it is audited."""

import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from alliance import csvsafe
from audit import log
from audit.models import AuditEvent
from audit.readers import can_read_audit

EXPORT_FIELDS = ["at", "actor_username", "ip", "action", "object_type", "object_id", "client_id", "changes", "path"]


@admin.action(description="Export the selected rows as CSV")
def export_csv(modeladmin, request, queryset):
    """The selected rows as CSV; any cell a spreadsheet would run as a formula is neutralised."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    writer = csv.writer(response)
    csvsafe.write_row(writer, EXPORT_FIELDS)
    for event in queryset.order_by("at", "pk").iterator():
        csvsafe.write_row(writer, [getattr(event, name) for name in EXPORT_FIELDS])
    log.record(log.Action.EXPORT, object_type="audit.auditevent", changes={"rows": queryset.count()}, request=request)
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Search and page through the trail; nothing here can change it."""

    list_display = ["at", "actor_username", "action", "object_type", "object_id", "client_id", "ip"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "=object_id", "=client_id", "path"]
    date_hierarchy = "at"
    list_per_page = 50
    actions = [export_csv]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_module_permission(self, request):
        return can_read_audit(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_audit(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            log.record(
                log.Action.VIEW,
                object_type="audit.auditevent",
                changes={"search": request.GET.dict(), "rows": changelist.result_count},
                request=request,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            log.record(log.Action.VIEW, object_type="audit.auditevent", object_id=object_id, request=request)
        return response
