import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from audit import log
from audit.models import AuditEvent

EXPORT_FIELDS = ["at", "actor_username", "ip", "action", "object_type", "object_id", "client_id", "changes", "path"]


@admin.action(description="Export the selected rows as CSV")
def export_csv(modeladmin, request, queryset):
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M%S}.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_FIELDS)
    for event in queryset.order_by("at", "pk").iterator():
        writer.writerow([getattr(event, name) for name in EXPORT_FIELDS])
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
