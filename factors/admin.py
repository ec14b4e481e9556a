from django.contrib import admin

from factors.models import Factor, Prompt


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
        "client_question",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["factor", "applies_to", "text", "order", "active"]
    list_filter = ["applies_to", "active", "factor__domain", "factor"]
    list_editable = ["active"]
    search_fields = ["text"]
    list_select_related = ["factor"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: tried prompts keep their history
