"""/account/: the user's language for the AI's words, and their API tokens (list, make, revoke)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from photos.languages import language_choices, language_name
from photos.models import ApiToken
from photos.request_types import AuthenticatedHttpRequest
from photos.selectors.languages import items_written_in_other_languages, user_language
from photos.services.api_tokens import api_token_create, api_token_revoke
from photos.services.languages import library_rewrite, user_language_set


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", required=True)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label="Language of descriptions and tags",
        help_text="What the AI writes for your photos and videos from now on.",
        choices=language_choices,
    )


@require_http_methods(["GET", "POST"])
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        _token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    language = user_language(request.user.pk)
    # The key is in this response only (not in a redirect's session): shown once.
    context = {
        "form": form,
        "tokens": tokens,
        "new_key": new_key,
        "language_form": LanguageForm(initial={"language": language}),
        "language_name": language_name(language),
        "written_elsewhere": items_written_in_other_languages(
            user_id=request.user.pk, language=language
        ).count(),
    }
    response = render(request, "photos/account.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("account")


@require_POST
def language_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        language = form.cleaned_data["language"]
        user_language_set(user_id=request.user.pk, language=language)
        messages.success(
            request, f"New descriptions and tags will be written in {language_name(language)}."
        )
    else:
        messages.error(request, "Choose one of the languages listed.")
    return redirect("account")


@require_POST
def library_rewrite_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    queued = library_rewrite(user_id=request.user.pk)
    language = language_name(user_language(request.user.pk))
    messages.success(
        request,
        f"{queued} item(s) queued to be described again in {language}. "
        "Descriptions you wrote and tags you added or removed stay as they are.",
    )
    return redirect("account")
