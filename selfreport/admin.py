from django.contrib import admin

from selfreport.models import Question, SelfReportRating


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """The client's questions. Answers point at the wording the client saw, so a
    question is never deleted: to ask something else, add a question and untick the old one."""

    list_display = ["order", "text", "key", "factor", "active"]
    list_display_links = ["text"]
    list_filter = ["active"]
    fields = ["factor", "key", "label", "text", "order", "active"]

    def get_readonly_fields(self, request, obj=None):
        """Once answered, a question keeps its factor and key: its answers are compared with
        the clinician's ratings of that factor (discrepancy flags, calibration, the sessions'
        stored co-ratings). To ask about another factor, add a question and untick this one."""
        if obj is not None and obj.pk and SelfReportRating.objects.filter(question=obj).exists():
            return ["factor", "key"]
        return []

    def has_delete_permission(self, request, obj=None):
        return False
