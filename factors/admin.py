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
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    """The library; `source` says whether a prompt comes from the article or from practice."""

    list_display = ["target_name", "applies_to", "text", "source", "order", "active"]
    list_filter = ["applies_to", "source", "active", "factor__domain", "factor"]
    fields = ["factor", "applies_to", "text", "source", "order", "active"]
    list_editable = ["active"]
    search_fields = ["text"]
    list_select_related = ["factor"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: tried prompts keep their history

    @admin.display(description="factor", ordering="factor__order")
    def target_name(self, obj):
        return obj.target_name
