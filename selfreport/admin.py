from django.contrib import admin

from selfreport.models import Question


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """The client's questions. Answers point at the wording the client saw, so a
    question is never deleted: to ask something else, add a question and untick the old one."""

    list_display = ["order", "text", "key", "factor", "active"]
    list_display_links = ["text"]
    list_filter = ["active"]
    fields = ["factor", "key", "label", "text", "order", "active"]

    def has_delete_permission(self, request, obj=None):
        return False
