"""The development plan as a document the employee keeps (plain UTF-8 text, opens anywhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from conversations import i18n
from conversations.domain import ItemStatus, Person, PlanVersion
from conversations.templates.model import Template


def render_text(
    *,
    locale: str,
    tz: ZoneInfo,
    template: Template,
    employee: Person,
    versions: Sequence[PlanVersion],
    people: Mapping[int, Person],
    progress: Mapping[str, ItemStatus],
    kerneopgave: str,
) -> str:
    t = lambda key, **kw: i18n.t(locale, key, **kw)  # noqa: E731 - local shorthand
    lines = [
        t("plan.title", name=employee.display_name),
        "=" * 60,
        "",
        f"{t('round.kerneopgave')}: {kerneopgave}",
        "",
    ]
    for version in reversed(versions):
        lines.append(
            t(
                "plan.version_title",
                title=template.plan.title,
                n=version.number,
                state=t(f"plan.state.{version.state.value}"),
            )
        )
        lines.append("-" * 60)
        for n, item in enumerate(version.items, start=1):
            status = progress.get(item.id)
            head = t("plan.item_label", n=n)
            if item.waits_for_summary:
                head += f" ({t('plan.waits_short')})"
            if status is not None:
                head += f" [{t(f'plan.status.{status.value}')}]"
            lines.append(head)
            for field in template.plan.fields:
                lines.append(f"  {field.label}: {item.fields.get(field.id, '–')}")
        if version.follow_up_on:
            lines.append(f"{t('plan.follow_up')}: {i18n.format_date(locale, version.follow_up_on)}")
        for approval in version.approvals:
            who = people[approval.person_id].display_name if approval.person_id in people else "?"
            lines.append(
                t(
                    "plan.signed",
                    who=who,
                    when=i18n.format_datetime(locale, approval.at.astimezone(tz)),
                )
            )
        if version.change_request:
            lines.append(f"{t('plan.change_label')}: {version.change_request}")
        lines.append("")
    return "\n".join(lines)
