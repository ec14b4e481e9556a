from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from accounts import signals, twostep
from accounts.models import Team, User
from accounts.views import admin_login

# Everyone logs in through accounts.views.LoginView (password, then the second factor):
# the admin's own password-only login page sends there instead.
admin.site.login = admin_login


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active", "is_staff", "two_step"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    actions = ["reset_second_factor"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Role in Alliance", {"fields": ["role", "team", "time_zone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Role in Alliance", {"fields": ["first_name", "last_name", "role", "team"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("second_factor")

    @admin.display(boolean=True, description="second factor")
    def two_step(self, user):
        return hasattr(user, "second_factor")

    @admin.action(description="Reset the second factor (they enrol again at their next login)")
    def reset_second_factor(self, request, queryset):
        users = [user for user in queryset if hasattr(user, "second_factor") or user.recovery_codes.exists()]
        for user in users:
            twostep.reset(user)
            signals.second_factor_changed.send(
                sender=User, user=user, request=request, event=signals.RESET, actor=request.user, details={}
            )
        names = ", ".join(user.get_username() for user in users) or "nobody (none of them had one)"
        self.message_user(request, f"Second factor reset for {names}.", messages.SUCCESS)


class TeamForm(ModelForm):
    class Meta:
        model = Team
        fields = ["name", "supervisor"]

    def clean_supervisor(self):
        supervisor = self.cleaned_data["supervisor"]
        if supervisor.role != User.Role.SUPERVISOR:
            raise ValidationError("Give this user the supervisor role first.")
        return supervisor


class MemberInline(admin.TabularInline):
    model = User
    fk_name = "team"
    fields = ["username", "first_name", "last_name", "role", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "member"
    verbose_name_plural = "members (set a user's team on the user's page)"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "supervisor"]
    inlines = [MemberInline]
