"""Vignettes and their reference ratings, edited in the admin.

A supervisor edits them once an administrator has made them staff and given
them the calibration permissions (view/add/change vignette and vignette
reference): ordinary Django model permissions, no role check of our own.
Vignettes are never deleted (attempts point at them): untick "active" instead.
"""

from django.contrib import admin

from calibration.models import Vignette, VignetteReference


class VignetteReferenceInline(admin.TabularInline):
    model = VignetteReference
    fields = ["factor", "rating"]
    extra = 0
    ordering = ["factor__order"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Vignette)
class VignetteAdmin(admin.ModelAdmin):
    list_display = ["order", "title", "theme", "active"]
    list_display_links = ["title"]
    list_filter = ["active"]
    fields = ["title", "theme", "text", "rationale", "order", "active"]
    inlines = [VignetteReferenceInline]

    def has_delete_permission(self, request, obj=None):
        return False
