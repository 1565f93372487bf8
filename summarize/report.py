"""What a run hands back: the data of `summarize.models` with its views.

The pydantic models hold the data and import nothing that renders it; the renderers (`render`
for Markdown and JSON, `html`, `audit_output` for `summarize check`) read the models. These
subclasses sit above both, so `summary.to_markdown()` needs no import from the data to its
views. The renderers are imported when a view is asked for: a run that only wants the data
never loads jinja2.
"""

from __future__ import annotations

from summarize import models


class Summary(models.Summary):
    """A finished run: the summary, its whole provenance graph, and its three views."""

    def to_markdown(self) -> str:
        from summarize.render import to_markdown

        return to_markdown(self)

    def to_json(self, *, include_text: bool = False) -> str:
        from summarize.render import to_json

        return to_json(self, include_text=include_text)

    def to_html(self) -> str:
        """One self-contained page: every citation opens its source at the cited span."""
        from summarize.html import to_html

        return to_html(self)


class DraftCheck(models.DraftCheck):
    """An audited draft (`summarize check`) and its three views."""

    def to_markdown(self) -> str:
        from summarize.audit_output import to_markdown

        return to_markdown(self)

    def to_json(self) -> str:
        from summarize.audit_output import to_json

        return to_json(self)

    def to_html(self) -> str:
        from summarize.audit_output import to_html

        return to_html(self)
