"""The measures in the admin: an administrator switches an instrument on or off
and edits the crisis text. The wording, options, bands and thresholds are the
published instrument's (a measure is only valid with its standard wording), so
they are shown read-only."""

from django.contrib import admin

from measures.models import Band, CrisisText, Instrument, Item, ResponseOption


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ItemInline(_ReadOnlyInline):
    model = Item
    fields = ["number", "text", "loinc", "is_safety_item"]


class OptionInline(_ReadOnlyInline):
    model = ResponseOption
    fields = ["value", "label", "loinc"]


class BandInline(_ReadOnlyInline):
    model = Band
    fields = ["low", "high", "label"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "caseness", "reliable_change", "active"]
    list_editable = ["active"]
    fields = [
        "key",
        "name",
        "title",
        "stem",
        "loinc_panel",
        "loinc_total",
        "caseness",
        "reliable_change",
        "max_missing",
        "source",
        "active",
    ]
    readonly_fields = [f for f in fields if f != "active"]
    inlines = [OptionInline, ItemInline, BandInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CrisisText)
class CrisisTextAdmin(admin.ModelAdmin):
    """One row: what a client who reports thoughts of self-harm reads on the thank-you page."""

    list_display = ["__str__", "updated_at"]
    fields = ["text"]

    def has_add_permission(self, request):
        return not CrisisText.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
