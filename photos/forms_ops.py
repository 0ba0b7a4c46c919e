"""The /ai-settings/ form: the AISettings row with the limits the checklist's advice needs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from photos.models import AIBackend, AISettings, Concept, ConceptNeeds
from photos.services.secrets import endpoint_same, secret_decrypt, secret_encrypt


def bounded(low: float, high: float) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class AISettingsForm(forms.ModelForm):
    schedule_hour = forms.IntegerField(label="Hour (0-23)", validators=bounded(0, 23))
    schedule_minute = forms.IntegerField(label="Minute (0-59)", validators=bounded(0, 59))
    batch_size = forms.IntegerField(
        label="Batch size",
        validators=bounded(1, 5000),
        help_text="Items per nightly run, per kind (1-5000). Lower it if workers run out of "
        "memory.",
    )
    processing_timeout = forms.IntegerField(
        label="Processing timeout (seconds)",
        validators=bounded(10, 3600),
        help_text="Per item (10-3600). An item taking longer fails with a timeout error.",
    )
    max_tags = forms.IntegerField(label="Tags per item", validators=bounded(5, 10))
    min_confidence = forms.FloatField(
        label="Minimum confidence",
        validators=bounded(0, 1),
        help_text="Tags scored below this (0-1) are dropped.",
    )
    endpoint_url = forms.URLField(
        label="Endpoint URL",
        required=False,
        max_length=500,
        assume_scheme="http",  # local servers (Ollama, vLLM) are usually plain http
        help_text="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama).",
    )
    # Never rendered back: the page shows only the key's last four characters.
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the stored key. It is only ever sent to the endpoint it "
        "was saved with: changing the endpoint needs the key again.",
    )
    clear_api_key = forms.BooleanField(label="Remove the stored key", required=False)

    class Meta:
        model = AISettings
        fields = [
            "auto_process_on_upload",
            "scheduled_processing_enabled",
            "schedule_hour",
            "schedule_minute",
            "batch_size",
            "processing_timeout",
            "backend",
            "model_dir",
            "endpoint_url",
            "model_name",
            "max_tags",
            "min_confidence",
        ]
        labels = {
            "auto_process_on_upload": "Auto-process on upload",
            "scheduled_processing_enabled": "Scheduled processing (nightly batch)",
            "backend": "AI backend",
            "model_dir": "Model directory",
            "model_name": "Model name",
        }
        help_texts = {
            "model_dir": "Local transformers models: the folder holding them.",
        }
        widgets = {"backend": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored key's ciphertext and the endpoint it belongs to (never the key itself).
        self.stored_api_key = self.instance.api_key if self.instance.pk else ""
        self.stored_key_endpoint = self.instance.api_key_endpoint if self.instance.pk else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        backend = data.get("backend")
        if backend == AIBackend.OPENAI:
            if not data.get("endpoint_url"):
                self.add_error("endpoint_url", "The OpenAI-compatible backend needs its URL.")
            if not data.get("model_name"):
                self.add_error("model_name", "The OpenAI-compatible backend needs a model name.")
        if data.get("clear_api_key"):
            data["api_key"] = ""
        elif self.key_would_follow_new_endpoint(data):
            self.add_error(
                "api_key",
                "The endpoint changed: enter the API key again for the new endpoint, or tick "
                "\u201cRemove the stored key\u201d. A stored key is only ever sent to the endpoint "
                "it was saved with.",
            )
        return data

    def key_would_follow_new_endpoint(self, data: dict[str, Any]) -> bool:
        """A stored key, no new one typed, and a different endpoint: the key may not go there."""
        endpoint = data.get("endpoint_url") or ""
        return bool(
            self.stored_api_key
            and not data.get("api_key")
            and endpoint
            and not endpoint_same(endpoint, self.stored_key_endpoint)
        )

    def model_values(self) -> dict[str, Any]:
        """The row's fields as cleaned, for the service; the API key only when it changes."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        typed = self.cleaned_data.get("api_key") or ""
        if self.cleaned_data.get("clear_api_key"):
            values.update(api_key="", api_key_endpoint="")
        elif typed:
            # Encrypted at rest, and bound to the endpoint it was entered with.
            values.update(
                api_key=secret_encrypt(typed),
                api_key_endpoint=self.cleaned_data.get("endpoint_url") or "",
            )
        return values

    def engine_overrides(self) -> dict[str, Any]:
        """The values a sample test runs with; a newly typed key goes encrypted."""
        from photos.services.ai_sample import API_KEY_TOKEN, OVERRIDABLE

        overrides = {name: self.cleaned_data[name] for name in OVERRIDABLE}
        if typed := self.cleaned_data.get("api_key"):
            overrides[API_KEY_TOKEN] = secret_encrypt(typed)
        return overrides


def api_key_hint(token: str) -> str:
    """What the page may show of a stored key: its last four characters at most."""
    key = secret_decrypt(token)
    if not key:
        return ""
    return "••••" + (key[-4:] if len(key) >= 12 else "")


class CommaListField(forms.Field):
    """ "puppy, doggy" <-> ["puppy", "doggy"]: lower case, each once, blanks dropped."""

    widget = forms.TextInput

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: Any) -> list[str]:
        words = [w.strip().lower() for w in str(value or "").split(",")]
        return list(dict.fromkeys(w for w in words if w))

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for word in value:
            if len(word) > 100:
                raise forms.ValidationError(f"“{word[:20]}…” is longer than 100 characters.")


class ConceptForm(forms.ModelForm):
    """One concept of the vocabulary (/ai-settings/vocabulary/): add, edit, preview."""

    synonyms = CommaListField(
        required=False,
        help_text="Other words for the same thing, comma-separated; the best-scoring one counts.",
    )
    parents = CommaListField(
        required=False,
        help_text="Broader tags it implies, comma-separated (“golden retriever” → “dog”).",
    )
    threshold = forms.FloatField(
        min_value=0.001,
        max_value=1.0,
        help_text="The image-text model's score (0-1) a photo needs to get this tag; "
        "lower tags more photos. Use the preview to choose.",
    )

    class Meta:
        model = Concept
        fields = ["name", "synonyms", "parents", "threshold", "needs", "category", "enabled"]
        help_texts = {
            "name": "The tag, and the text the model reads (“a photo of a …”).",
            "needs": "Evidence besides the score, so that the AI is right or silent.",
        }

    def clean_name(self) -> str:
        name = " ".join(str(self.cleaned_data["name"]).split()).lower()
        if not name:
            raise forms.ValidationError("A name is required.")
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        name = data.get("name")
        data["synonyms"] = [s for s in data.get("synonyms") or [] if s != name]
        data["parents"] = [p for p in data.get("parents") or [] if p != name]
        return data

    def model_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ConceptPreviewForm(forms.Form):
    """The fields a preview needs, from the (unsaved) concept form."""

    name = forms.CharField(max_length=100)
    synonyms = CommaListField(required=False)
    threshold = forms.FloatField(min_value=0.001, max_value=1.0)
    needs = forms.ChoiceField(choices=ConceptNeeds.choices, required=False)
