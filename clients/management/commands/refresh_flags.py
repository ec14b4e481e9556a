"""Recompute every client's stored flags and summary (after an upgrade, or a change of thresholds)."""

from django.core.management.base import BaseCommand

from clients.models import Client
from clients.recording import refresh_flags


class Command(BaseCommand):
    help = "Recompute the stored flags and summaries of every client (each client in its own transaction)."

    def handle(self, *args, **options):
        count = 0
        for pk in Client.objects.values_list("pk", flat=True).iterator():
            refresh_flags(Client(pk=pk))
            count += 1
        self.stdout.write(f"Flags recomputed for {count} client{'s' if count != 1 else ''}.")
