"""What a PUT of an existing entity keeps from the stored one: the server's EntityUpdater rules.

Citations are to open-metadata/OpenMetadata 2.0 (``openmetadata-service/src/main/java/org/
openmetadata/service/jdbi3/``; read in the 2.0.0-SNAPSHOT mirror, see
/work/notes/server-rules.md for the quoted lines):

- ``EntityRepository.EntityUpdater.updateDescription``: a PUT by a bot never replaces a
  non-empty stored description (``operation.isPut() && !nullOrEmpty(original.getDescription())
  && updatedByBot()``); a human's PUT replaces it, and one without it deletes it. The same
  guard holds for column descriptions and display names (``ColumnEntityUpdater
  .updateColumnDescription``/``updateColumnDisplayName``) and task descriptions
  (``PipelineRepository.PipelineUpdater.updateTaskDescription``).
- ``EntityUpdater.updateTags``: a PUT merges the sent tags into the stored ones and never
  removes one (``EntityUtil.mergeTags``), for entities, matched columns and matched tasks;
  the merged list is sorted by tag FQN. (PATCH replaces: see store.patch.)
- ``EntityUpdater.updateOwners``: a PUT with no or empty ``owners`` keeps the stored owners;
  a non-empty list replaces them, for bots too.
- ``EntityUpdater.updateExtension``: a bot's PUT always keeps the stored extension; any PUT
  without one keeps it. ``updateDomains``/``updateDataProducts``: a bot's PUT keeps
  non-empty stored ones. Followers are never changed by a PUT.
- ``EntityUpdater.updateDisplayName``: no rule; a PUT without ``displayName`` deletes it.
- ``EntityUpdater.updateVersion`` + ``ColumnEntityUpdater.updateColumns``/
  ``updateColumnDataLength``: a removed column or a shorter ``dataLength`` is a major
  change (+1.0); any other recorded change is +0.1.
"""

from __future__ import annotations

BOTS = {"ingestion-bot"}  # principals whose User has isBot = true (EntityUpdater.updatedByBot)


def is_bot(user: str) -> bool:
    return user in BOTS


def merge_tags(stored: list[dict] | None, sent: list[dict] | None) -> list[dict] | None:
    """Union by ``tagFQN`` (stored labels first), sorted; ``None`` when neither has tags."""
    if not stored and not sent:
        return sent if sent is not None else stored
    merged = {label["tagFQN"]: label for label in stored or []}
    for label in sent or []:
        merged.setdefault(label["tagFQN"], label)
    return sorted(merged.values(), key=lambda label: label["tagFQN"])


def _keep_description(stored: dict, updated: dict, bot: bool, *names: str) -> None:
    for name in names:
        if bot and stored.get(name):
            updated[name] = stored[name]


def _merge_children(stored: list[dict] | None, updated: list[dict] | None, bot: bool, describe: tuple) -> None:
    """Apply the description and tag rules to the matched (same-name) columns or tasks."""
    by_name = {item["name"]: item for item in stored or []}
    for item in updated or []:
        old = by_name.get(item["name"])
        if old is None:
            continue
        _keep_description(old, item, bot, *describe)
        tags = merge_tags(old.get("tags"), item.get("tags"))
        if tags is not None:
            item["tags"] = tags
        if "children" in item or "children" in old:
            _merge_children(old.get("children"), item.get("children"), bot, describe)


def apply_put_rules(type_name: str, stored: dict, updated: dict, user: str) -> None:
    """Change ``updated`` (the entity a PUT request describes) as the server's updater does."""
    bot = is_bot(user)
    _keep_description(stored, updated, bot, "description")
    tags = merge_tags(stored.get("tags"), updated.get("tags"))
    if tags is not None:
        updated["tags"] = tags
    if not updated.get("owners") and stored.get("owners"):
        updated["owners"] = stored["owners"]
    if "extension" in stored and (bot or updated.get("extension") is None):
        updated["extension"] = stored["extension"]
    for name in ("domains", "dataProducts"):
        if bot and stored.get(name):
            updated[name] = stored[name]
    if "followers" in stored:
        updated["followers"] = stored["followers"]
    if type_name == "table":
        _merge_children(stored.get("columns"), updated.get("columns"), bot, ("description", "displayName"))
    elif type_name == "pipeline":
        _merge_children(stored.get("tasks"), updated.get("tasks"), bot, ("description",))


def is_major_change(type_name: str, stored: dict, updated: dict) -> bool:
    """A removed column or a shorter ``dataLength`` (a major version change)."""
    if type_name != "table":
        return False
    return _columns_shrunk(stored.get("columns") or [], updated.get("columns") or [])


def _columns_shrunk(stored: list[dict], updated: list[dict]) -> bool:
    by_name = {c["name"]: c for c in updated}
    for column in stored:
        new = by_name.get(column["name"])
        if new is None:
            return True
        old_length, new_length = column.get("dataLength"), new.get("dataLength")
        if old_length is not None and new_length is not None and new_length < old_length:
            return True
        if _columns_shrunk(column.get("children") or [], new.get("children") or []):
            return True
    return False
