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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._audit_page(request, response, "client record")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        self._audit_page(request, response, "deletion confirmation")  # it lists the record's sessions
        return response

    @staticmethod
    def _audit_page(request, response, page):
        """A page of one client's record that was shown (not a refusal, not the deletion itself)."""
        obj = (getattr(response, "context_data", None) or {}).get("original") or (
            getattr(response, "context_data", None) or {}
        ).get("object")
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            log.record(log.Action.VIEW, obj, changes={"admin": page}, request=request)
