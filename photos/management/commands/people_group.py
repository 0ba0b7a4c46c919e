"""Re-run face grouping now, for one owner or everyone (the periodic task does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from photos.services.people import people_group, people_group_all


class Command(BaseCommand):
    help = "Group faces nobody has placed into people: join known people, cluster the rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", type=int, help="only this user's faces (user id)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["owner"] is not None:
            results = {options["owner"]: people_group(owner_id=options["owner"])}
        else:
            results = people_group_all()
        for owner_id, r in results.items():
            self.stdout.write(
                f"owner {owner_id}: {r.joined} faces joined known people, "
                f"{r.new_people} new people from {r.grouped} faces, {r.left_alone} left alone"
            )
        if not results:
            self.stdout.write("No faces to group.")
