"""The owner's form for a new share link."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone

EXPIRY_CHOICES = [
    ("", "Never"),
    ("1", "1 day"),
    ("7", "7 days"),
    ("30", "30 days"),
    ("365", "1 year"),
]


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "For the family"}),
    )
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, label="Expires")
    password = forms.CharField(
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Optional. Visitors type it once per browser session.",
    )
    allow_originals = forms.BooleanField(
        required=False, label="Originals and zip download (else display sizes only)"
    )
    allow_location = forms.BooleanField(
        required=False, label="Keep location (GPS) in the files visitors get"
    )

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None


class SharePasswordForm(forms.Form):
    password = forms.CharField(
        max_length=128, strip=False, widget=forms.PasswordInput(attrs={"autofocus": True})
    )
