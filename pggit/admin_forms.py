"""Forms behind the admin's branch actions. Each validates only what a form can know (the
choice lists, required fields); the operation itself validates names and state in SQL and its
typed error is shown on the form."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from pggit.models import Branch


def live_branch_choices(*, exclude: str | None = None) -> list[tuple[str, str]]:
    names = Branch.objects.exclude(status=Branch.Status.DELETED).values_list("name", flat=True)
    return [(n, n) for n in sorted(set(names)) if n != exclude]


class CreateBranchForm(forms.Form):
    name = forms.CharField(
        max_length=1000,  # the SQL core gives the precise rule (PGB04) on longer or odd names
        help_text="Letters, digits, '.', '_', '-' and '/' (e.g. feature/user-profiles).",
    )
    from_branch = forms.ChoiceField(
        label="From", help_text="The new branch starts at this branch's head."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["from_branch"]).choices = live_branch_choices()
        self.fields["from_branch"].initial = "main"


class DeleteBranchForm(forms.Form):
    force = forms.BooleanField(
        required=False,
        label="Discard unmerged commits",
        help_text="The commits stay in history but no live branch will reach them.",
    )


class MergeForm(forms.Form):
    target = forms.ChoiceField(label="Into")
    message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["target"]).choices = live_branch_choices(exclude=source)
        target = self["target"].value()  # the posted target, else the initial one
        into = f"'{target}'" if target else "the target"
        self.fields["message"].help_text = f"Default: Merge branch '{source}' into {into}."


class ResolveConflictForm(forms.Form):
    CHOICES = [
        ("ours", "Ours: keep the target's version"),
        ("theirs", "Theirs: take the source's version"),
        ("custom", "Custom: DDL for a schema object, the row as JSON for a row"),
    ]
    object_key = forms.CharField(widget=forms.HiddenInput)
    resolution = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, initial="ours")
    custom = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("resolution") == "custom" and not (data.get("custom") or "").strip():
            self.add_error("custom", "Give the DDL or the row for a custom resolution.")
        return data

    @property
    def resolution_value(self) -> str:
        data = self.cleaned_data
        return str(data["custom"] if data["resolution"] == "custom" else data["resolution"])
