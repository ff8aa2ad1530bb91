"""Emotion keyframe files: an emotion timeline written as JSON or CSV instead of inline text.

A keyframe file means exactly what the inline timeline "0:neutral 1.5:happy@2" means (each key
goes through `timeline.parse_timeline`, so levels, mixtures and defaults are the same).

JSON: a list of keys, or an object whose "keys" member is that list; a curves file written
with `--emotion auto --export-curves` works as it is (its "emotion_auto" list is read, each
sentence's "key_s" is its time), so auto's choices can be edited and replayed:

    [{"time": 0, "emotion": "neutral"},
     {"time": 1.5, "emotion": "happy", "level": 2},
     {"time": 4, "emotion": "happy@1+surprised@1"}]

    "time" (or "time_s", "key_s"): seconds >= 0; "emotion": a name or a mixture; "level":
    optional, >= 0 (default 2, 0 for neutral; for a mixture it is the level of parts without @).
    "note", "reason", "text" and the other members of an "emotion_auto" entry are ignored.

CSV: one key per row, `time,emotion[,level]`; an optional header row naming those columns;
blank lines and lines starting with # are skipped:

    time,emotion,level
    0,neutral,
    1.5,happy,2
    4,happy@1+surprised@1,

A bad file raises `InputError` with one line naming the file and the line of the bad key.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from ..errors import InputError
from .timeline import EmotionKey, distinct_times, parse_timeline

KEYFRAME_SUFFIXES = (".json", ".csv")
MAX_FILE_BYTES = 10_000_000
TIME_FIELDS = ("time", "time_s", "key_s")
COMMENT_FIELDS = ("note", "reason", "text", "start_s", "end_s", "valence", "vader_compound", "votes",
                  "emotion_words", "voice")
LIST_MEMBERS = ("keys", "emotion_auto")
DEFAULT_LEVEL = 2.0


def is_keyframe_path(text: str) -> bool:
    """Whether an --emotion argument names a keyframe file (by its .json / .csv ending)."""
    return text.strip().lower().endswith(KEYFRAME_SUFFIXES)


def load_keyframes(path: str | Path) -> list[EmotionKey]:
    """Read a JSON or CSV keyframe file -> keys sorted by time (see the module docstring)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in KEYFRAME_SUFFIXES:
        raise InputError(f"{path}: a keyframe file must end in .json or .csv")
    if not path.is_file():
        raise InputError(f"keyframe file {path} not found")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"{path}: keyframe file larger than {MAX_FILE_BYTES // 1_000_000} MB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the keyframe file ({exc})") from None
    rows = _json_rows(path, text) if suffix == ".json" else _csv_rows(path, text)
    keys = [_key(path, line, time_s, emotion, level) for line, time_s, emotion, level in rows]
    if not keys:
        raise InputError(f"{path}: no emotion keys in the file")
    return distinct_times(sorted(keys, key=lambda k: k.time_s), str(path))


def _key(path: Path, line: int, time_s, emotion, level) -> EmotionKey:
    """One row -> EmotionKey through the inline parser (same semantics); errors name path:line."""
    where = f"{path}, line {line}"
    if (isinstance(time_s, bool) or not isinstance(time_s, (int, float)) or not math.isfinite(time_s)
            or time_s < 0):
        raise InputError(f"{where}: time must be a number of seconds >= 0, not {time_s!r}")
    if not isinstance(emotion, str) or not emotion.strip():
        raise InputError(f"{where}: emotion must be a name such as happy or a mixture such as happy@1+sad@1")
    if level is not None and (isinstance(level, bool) or not isinstance(level, (int, float))
                              or not math.isfinite(level) or level < 0):
        raise InputError(f"{where}: level must be a number >= 0, not {level!r}")
    spec = emotion.strip().replace(" ", "")
    default_level = DEFAULT_LEVEL
    if level is not None:
        if "+" in spec or "@" in spec:
            default_level = float(level)
        else:
            spec = f"{spec}@{float(level)!r}"
    try:
        (key,) = parse_timeline(f"{float(time_s)!r}:{spec}", default_level)
    except (InputError, ValueError) as exc:
        message = str(exc)
        if message.startswith("bad emotion key"):  # the inline form's token is no help here
            message = message.split(": ", 1)[-1]
        raise InputError(f"{where}: {message}") from None
    return key


def _json_rows(path: Path, text: str) -> list[tuple[int, object, object, object]]:
    """-> [(line, time, emotion, level)] from a JSON list of objects (or {"keys": [...]})."""
    decoder = json.JSONDecoder()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    start = _skip_space(text, 0)
    if isinstance(document, dict):
        member = next((m for m in LIST_MEMBERS if isinstance(document.get(m), list)), None)
        if member is None:
            raise InputError(f"{path}, line 1: expected a list of keys, or an object with a \"keys\" list")
        start = _member_position(text, decoder, member)
    elif not isinstance(document, list):
        raise InputError(f"{path}, line 1: expected a list of keys such as "
                         "[{\"time\": 0, \"emotion\": \"happy\", \"level\": 2}]")
    rows = []
    for position, item in _array_items(text, decoder, start):
        line = text.count("\n", 0, position) + 1
        if not isinstance(item, dict):
            raise InputError(f"{path}, line {line}: each key must be an object such as "
                             "{\"time\": 1.5, \"emotion\": \"happy\", \"level\": 2}")
        unknown = sorted(set(item) - set(TIME_FIELDS) - {"emotion", "level"} - set(COMMENT_FIELDS))
        if unknown:
            raise InputError(f"{path}, line {line}: unknown field {unknown[0]!r} "
                             "(use time, emotion, level; note, reason and text are comments)")
        times = [item[f] for f in TIME_FIELDS if f in item]
        if len(times) != 1:
            raise InputError(f"{path}, line {line}: each key needs one \"time\" (seconds)")
        rows.append((line, times[0], item.get("emotion"), item.get("level")))
    return rows


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _array_items(text: str, decoder: json.JSONDecoder, i: int):
    """Yield (character position, value) of each item of the JSON array starting at text[i]
    (the text is known to be valid JSON, so only positions are tracked here)."""
    i = _skip_space(text, i + 1)  # past "["
    while i < len(text) and text[i] != "]":
        value, end = decoder.raw_decode(text, i)
        yield i, value
        i = _skip_space(text, end)
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)


def _member_position(text: str, decoder: json.JSONDecoder, name: str) -> int:
    """Character position of the value of top-level member `name` of a JSON object."""
    i = _skip_space(text, _skip_space(text, 0) + 1)  # past "{"
    found = -1
    while i < len(text) and text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = _skip_space(text, _skip_space(text, i) + 1)  # past ":"
        if key == name:
            found = i  # the last duplicate wins, as in json.loads
        _, i = decoder.raw_decode(text, i)
        i = _skip_space(text, i)
        if i < len(text) and text[i] == ",":
            i = _skip_space(text, i + 1)
    return found


def _csv_rows(path: Path, text: str) -> list[tuple[int, object, object, object]]:
    """-> [(line, time, emotion, level)] from `time,emotion[,level]` rows."""
    rows = []
    reader = csv.reader(io.StringIO(text))
    header_allowed = True
    for cells in reader:
        line = reader.line_num
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header_allowed and cells[0].lower() in TIME_FIELDS:
            names = [c.lower() for c in cells if c]
            if names[1:2] != ["emotion"] or any(n != "level" for n in names[2:]) or len(names) > 3:
                raise InputError(f"{path}, line {line}: the header must be time,emotion[,level]")
            header_allowed = False
            continue
        header_allowed = False
        while len(cells) > 2 and not cells[-1]:
            cells.pop()
        if len(cells) not in (2, 3):
            raise InputError(f"{path}, line {line}: expected time,emotion[,level], got {len(cells)} columns")
        time_s = _number(path, line, cells[0], "time")
        level = _number(path, line, cells[2], "level") if len(cells) == 3 else None
        rows.append((line, time_s, cells[1], level))
    return rows


def _number(path: Path, line: int, cell: str, what: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"{path}, line {line}: {what} must be a number, not '{cell}'") from None
    if not math.isfinite(value):
        raise InputError(f"{path}, line {line}: {what} must be finite, not '{cell}'")
    return value
