"""Files in Teams: a download link on the card instead of an attachment.

Why: a bot cannot send a file into a Teams chat without the file-consent flow (a consent card,
then an upload to the user's OneDrive), which needs Graph permissions most organisations will
not grant a MUS bot. So the calendar invite and the plan document are handed over as a
capability link: the wiring (`bot/`) stores the bytes and returns an unguessable URL on the
bot's own server, and the card gets an `Action.OpenUrl` button to it. Without that wiring (no
public URL) the card says the file cannot be fetched here, rather than dropping it silently.

The adapter decides nothing about storage or lifetime: it only calls the `FileLink` it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from conversations.messages import Attachment


class FileLink(Protocol):
    """Stores one attachment and returns the absolute URL it can be downloaded from."""

    async def __call__(self, *, attachment: Attachment, owner_user_id: str | None) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """A file as a card shows it: a link, or (`url` None) a note that it cannot be fetched."""

    filename: str
    url: str | None


# The adapter's own words (the core never knows files become links, nor how Teams lays out
# a form). Danish first, like the bot.
_WORDS: dict[str, dict[str, str]] = {
    "da": {
        "download": "Hent {filename}",
        "unavailable": "Filen kan ikke hentes her: {filename}",
        "time": "Klokkeslæt",
        "cut": "Der var ikke plads til resten af din tekst i feltet; her er den, så du kan "
        "flytte den: {rest}",
    },
    "en": {
        "download": "Download {filename}",
        "unavailable": "The file cannot be downloaded here: {filename}",
        "time": "Time",
        "cut": "The rest of your text did not fit in the field; here it is, so you can move "
        "it: {rest}",
    },
}


def words(locale: str | None, key: str, /, **values: str) -> str:
    """One of the adapter's file texts: English for English locales, Danish otherwise."""
    language = "en" if (locale or "").lower().startswith("en") else "da"
    return _WORDS[language][key].format(**values)
