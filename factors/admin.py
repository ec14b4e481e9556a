from django.contrib import admin

from factors.models import Factor


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    """Texts are editable; the set of twelve factors is not."""

    list_display = ["order", "name", "domain", "description"]
    list_display_links = ["name"]
    list_filter = ["domain"]
    readonly_fields = ["key", "domain"]
    fields = [
        "key",
        "domain",
        "order",
        "name",
        "description",
        "label_1",
        "label_2",
        "label_3",
        "label_4",
        "label_5",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
