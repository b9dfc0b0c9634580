"""Discord's limits on what bots send (messages, autocomplete choices, command definitions)
and on what its client lets a user send (option lengths, ranges, choices)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .rest import UploadedFile

STRING_OPTION_MAX = 6000  # a string option without max_length still holds at most this
AUTOCOMPLETE_CHOICES = 25
CHOICE_TEXT_MAX = 100  # a choice's name, and a string choice's value


class ApiError(Exception):
    """Raised by handlers; answered as Discord's ``{"message", "code"}`` error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return json_response(body, self.status)


def json_response(obj: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with Content-Type exactly ``application/json`` (no charset).

    ``web.Response(text=..., content_type="application/json")`` and ``web.json_response``
    add ``; charset=utf-8``, and discord.py then treats the body as text (login fails).
    """
    return web.Response(body=json.dumps(obj).encode(), status=status, headers=headers,
                        content_type="application/json")


def _invalid(field: str, message: str, code: str = "BASE_TYPE_MAX_LENGTH") -> dict:
    return {field: {"_errors": [{"code": code, "message": message}]}}


def invalid_form(errors: dict[str, Any]) -> ApiError:
    """Discord's 400 "Invalid Form Body" with per-field errors."""
    return ApiError(400, 50035, "Invalid Form Body", errors)


def validate_message(body: dict[str, Any], files: list[UploadedFile], *, creating: bool) -> None:
    """Apply Discord's message limits (2000 chars, 10 embeds, 6000 embed chars, ...)."""
    errors: dict[str, Any] = {}
    if len(body.get("content") or "") > 2000:
        errors.update(_invalid("content", "Must be 2000 or fewer in length."))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.update(_invalid("embeds", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        parts = {"title": (embed.get("title"), 256),
                 "description": (embed.get("description"), 4096),
                 "footer.text": ((embed.get("footer") or {}).get("text"), 2048),
                 "author.name": ((embed.get("author") or {}).get("name"), 256)}
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.update(_invalid(f"embeds.{i}.fields", "Must be 25 or fewer in length."))
        for j, f in enumerate(fields):
            parts[f"fields.{j}.name"] = (f.get("name"), 256)
            parts[f"fields.{j}.value"] = (f.get("value"), 1024)
            for key in ("name", "value"):  # both required, and not empty
                if not f.get(key):
                    errors.update(_invalid(f"embeds.{i}.fields.{j}.{key}",
                                           "This field is required", "BASE_TYPE_REQUIRED"))
        for name, (text, limit) in parts.items():
            total += len(text or "")
            if len(text or "") > limit:
                message = f"Must be {limit} or fewer in length."
                errors.update(_invalid(f"embeds.{i}.{name}", message))
    if total > 6000:
        errors.update(_invalid("embeds", "Embed size exceeds maximum size of 6000"))
    errors.update(_component_errors(body.get("components") or []))
    if errors:
        raise invalid_form(errors)
    keys = ("embeds", "components", "sticker_ids", "poll")
    content = (body.get("content") or "").strip()  # whitespace alone is no content
    if creating and not files and not content and not any(body.get(k) for k in keys):
        raise ApiError(400, 50006, "Cannot send an empty message")


ACTION_ROWS = 5  # classic components: rows of a message, and items of a row
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100


def _component_errors(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's limits on classic components: at most 5 action rows of at most 5 items,
    button labels of at most 80 characters, custom_ids of 1-100."""
    errors: dict[str, Any] = {}
    if len(rows) > ACTION_ROWS:
        errors.update(_invalid("components", "Must be 5 or fewer in length."))
    for i, row in enumerate(rows):
        items = row.get("components") or []
        if row.get("type") == 1 and len(items) > ACTION_ROWS:
            errors.update(_invalid(f"components.{i}.components",
                                   "Must be 5 or fewer in length."))
        for j, item in enumerate(items):
            where = f"components.{i}.components.{j}"
            if len(item.get("label") or "") > BUTTON_LABEL_MAX:
                errors.update(_invalid(f"{where}.label", "Must be 80 or fewer in length."))
            if "custom_id" in item and not 1 <= len(item["custom_id"] or "") <= CUSTOM_ID_MAX:
                errors.update(_invalid(f"{where}.custom_id",
                                       "Must be between 1 and 100 in length.",
                                       "BASE_TYPE_BAD_LENGTH"))
    return errors


def validate_choices(choices: Any) -> None:
    """An autocomplete answer: at most 25 choices, names of 1-100 characters and string values
    of at most 100."""
    errors: dict[str, Any] = {}
    if not isinstance(choices, list):
        raise invalid_form(_invalid("data.choices", "Must be a list.", "BASE_TYPE_LIST"))
    if len(choices) > AUTOCOMPLETE_CHOICES:
        errors.update(_invalid("data.choices", "Must be 25 or fewer in length."))
    for i, choice in enumerate(choices):
        name, value = choice.get("name") or "", choice.get("value")
        if not 1 <= len(name) <= CHOICE_TEXT_MAX:
            errors.update(_invalid(f"data.choices.{i}.name", "Must be between 1 and 100 in "
                                   "length."))
        if isinstance(value, str) and len(value) > CHOICE_TEXT_MAX:
            errors.update(_invalid(f"data.choices.{i}.value", "Must be 100 or fewer in length."))
    if errors:
        raise invalid_form(errors)


def validate_commands(commands: list[dict[str, Any]]) -> None:
    """A command sync: names up to 32, descriptions up to 100, 25 options a command, and
    string options' ``min_length``/``max_length`` within 0-6000 / 1-6000."""
    errors: dict[str, Any] = {}

    def check(where: str, item: dict[str, Any]) -> None:
        if not 1 <= len(item.get("name") or "") <= 32:
            errors.update(_invalid(f"{where}.name", "Must be between 1 and 32 in length."))
        description = item.get("description")
        if description is not None and len(description) > 100:
            errors.update(_invalid(f"{where}.description", "Must be 100 or fewer in length."))
        if "max_length" in item and not 1 <= item["max_length"] <= STRING_OPTION_MAX:
            errors.update(_invalid(f"{where}.max_length", "int value should be between 1 and "
                                   "6000.", "NUMBER_TYPE_MAX"))
        if "min_length" in item and not 0 <= item["min_length"] <= STRING_OPTION_MAX:
            errors.update(_invalid(f"{where}.min_length", "int value should be between 0 and "
                                   "6000.", "NUMBER_TYPE_MAX"))
        options = item.get("options") or []
        if len(options) > 25:
            errors.update(_invalid(f"{where}.options", "Must be 25 or fewer in length."))
        for j, option in enumerate(options):
            check(f"{where}.options.{j}", option)

    for i, command in enumerate(commands):
        check(str(i), command)
    if errors:
        raise invalid_form(errors)


def check_user_options(spec: dict[str, Any], options: list[dict[str, Any]], *,
                       autocomplete: bool = False) -> None:
    """Raise ValueError if Discord's client would not let a user send ``options`` for the
    synced command (or subcommand) ``spec``: unknown or missing required options, strings
    longer than ``max_length`` (6000 without one) or shorter than ``min_length``, numbers
    outside ``min_value``/``max_value``, values that are not one of the ``choices``.

    While autocompleting, the focused value is partial: only the length cap applies.
    """
    specs = {o["name"]: o for o in spec.get("options") or []}
    given = {o["name"] for o in options}
    for option in options:
        name = option["name"]
        if name not in specs:
            raise ValueError(f"/{spec['name']} has no option {name!r}")
        declared, value = specs[name], option.get("value")
        if declared["type"] in (1, 2):
            check_user_options(declared, option.get("options") or [], autocomplete=autocomplete)
            continue
        if declared["type"] == 3 and isinstance(value, str):
            longest = declared.get("max_length", STRING_OPTION_MAX)
            if len(value) > longest:
                raise ValueError(f"option {name!r} is {len(value)} characters; Discord's client "
                                 f"stops at {longest}")
            if not autocomplete and len(value) < declared.get("min_length", 0):
                raise ValueError(f"option {name!r} is shorter than {declared['min_length']}")
        if autocomplete:
            continue
        if declared["type"] in (4, 10) and isinstance(value, int | float):
            low, high = declared.get("min_value"), declared.get("max_value")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"option {name!r} must be within {low}-{high}, not {value}")
        choices = declared.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise ValueError(f"option {name!r} must be one of its choices, not {value!r}")
    if not autocomplete:
        missing = [o["name"] for o in specs.values() if o.get("required") and o["name"] not in
                   given]
        if missing:
            raise ValueError(f"/{spec['name']} needs {', '.join(missing)}")
