"""Administrators' explicit, audited access to client records: hard deletion.

The list shows only what identifies a record (no clinical content). Deleting
asks for confirmation (Django's page) and every deleted row, cascades
included, is written to the audit trail by audit.receivers.
"""

from django.contrib import admin

from audit import log
from clients.models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["label", "clinician", "status", "intake_date"]
    list_filter = ["status"]
    search_fields = ["label", "clinician__username"]
    fields = ["label", "clinician", "status", "intake_date"]
    readonly_fields = fields
    list_select_related = ["clinician"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def changelist_view(self, request, extra_context=None):
        log.record(log.Action.VIEW, object_type="clients.client", changes={"admin": "client list"}, request=request)
        return super().changelist_view(request, extra_context)
