"""Forms for the album pages. Uploads are read straight from request.FILES (many files)."""

from __future__ import annotations

from django import forms

from photos.models import Album


class AlbumForm(forms.ModelForm):
    class Meta:
        model = Album
        fields = ["title", "description"]
        widgets = {
            "title": forms.TextInput(attrs={"autofocus": True, "placeholder": "Summer in Lisbon"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the album a title.")
        return title
