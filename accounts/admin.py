from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from accounts.models import Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "team", "is_active", "is_staff"]
    list_filter = ["role", "team", "is_active", "is_staff"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Role in Alliance", {"fields": ["role", "team", "time_zone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Role in Alliance", {"fields": ["first_name", "last_name", "role", "team"]}),
    ]


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
