"""Users, teams, classifications and tags for the stand-in, and the checks the server makes
when an entity names them as owners or tag labels.

Mirrors open-metadata/OpenMetadata (openmetadata-service/src/main/java/org/openmetadata/service/):

- ``mapper/UserMapper.createToEntity`` (``resources/teams``): a user's name and email are
  stored lower-cased; ``jdbi3/UserRepository.getByName`` and ``TeamRepository.getByName``
  quote the name from the URL (``EntityInterfaceUtil.quoteName``) before the lookup.
- ``resources/tags/TagMapper`` + ``jdbi3/TagRepository.setFullyQualifiedName``: a tag names
  its classification by name (or a parent tag by FQN); its FQN is
  ``FullyQualifiedName.build(classification, tag)`` (a name with a dot is quoted), and a
  missing classification/parent is a 404 ``classification instance for X not found``.
- ``resources/tags/TagLabelUtil.applyTagCommonFields``: a ``Classification`` label must name
  an existing tag (404 ``tag instance for X not found``), a ``Glossary`` label an existing
  glossary term (404 ``glossaryTerm instance for X not found``); the stored label gets the
  tag's or term's name, displayName, description and style. ``checkMutuallyExclusive``: two
  labels under one mutually exclusive classification (or glossary, or parent term) are a 400.
- ``jdbi3/EntityRepository.validateOwner`` (``EntityReferenceValidator.owner``): an owner is
  a ``user`` or a ``team`` of type Group (400 otherwise, with the server's messages), found
  by id (404 ``user instance for <id> not found``); stored as a full EntityReference.
"""

from __future__ import annotations

import copy

from tests.openmetadata_standin.errors import ApiError

# Create-request fields the stand-in does not model (roles, personas, domains, ...): a body
# using them answers 501 instead of silently dropping them.
UNSUPPORTED_FIELDS = {
    "user": (
        "roles",
        "personas",
        "defaultPersona",
        "domains",
        "botName",
        "authenticationMechanism",
        "password",
        "confirmPassword",
    ),
    "team": ("parents", "children", "users", "defaultRoles", "defaultPersona", "policies", "domains"),
    "classification": ("domains",),
    "tag": ("associatedTags", "domains"),
    # A create request names domains and data products by FQN; the stand-in sets them on data
    # assets only by PATCH (governance.patch_table), so a PUT carrying them is a loud gap.
    **{
        name: ("domains", "dataProducts")
        for name in ("database", "databaseSchema", "table", "storedProcedure", "pipeline", "databaseService")
    },
}


def _api_error(status: int, message: str) -> ApiError:
    return ApiError(status, message)


def reject_unsupported(type_name: str, data: dict) -> None:
    for name in UNSUPPORTED_FIELDS.get(type_name, ()):
        if data.get(name) not in (None, [], {}):
            raise _api_error(501, f"stand-in does not implement {type_name} field {name!r}")


def prepare_user(store, data: dict) -> dict:
    """UserMapper: lower-cased name and email; ``teams`` (ids) become team references."""
    data = {**data, "name": data["name"].lower(), "email": data["email"].lower()}
    data.pop("createPasswordType", None)  # how a password is set (defaulted); not stored on the User
    if data.get("teams"):
        data["teams"] = sorted(
            (store.reference("team", store.get_by_id("team", team_id)) for team_id in data["teams"]),
            key=lambda r: r["name"],
        )
    return data


def lookup_name(type_name: str, name: str) -> str:
    """The FQN looked up for ``GET /{collection}/name/{name}`` (users and teams quote it)."""
    from metadata.utils import fqn as fqn_utils

    if type_name in ("user", "team"):
        try:
            return fqn_utils.quote_name(name)
        except ValueError:
            raise _api_error(400, f"Invalid name {name}") from None
    return name


def tag_parent(store, data: dict) -> tuple[str, dict]:
    """FQN prefix and the ``classification``/``parent`` references of a new tag.

    Raises:
        ApiError: 404 missing classification or parent tag, 400 neither given.
    """
    if data.get("parent"):
        parent = store.get_by_fqn("tag", data["parent"])
        return parent["fullyQualifiedName"], {
            "parent": store.reference("tag", parent),
            "classification": copy.deepcopy(parent["classification"]),
        }
    if not data.get("classification"):
        raise _api_error(400, "A tag needs a classification or a parent tag")
    classification = store.get_by_fqn("classification", data["classification"])
    return classification["fullyQualifiedName"], {"classification": store.reference("classification", classification)}


def check_owners(store, owners: list[dict] | None) -> list[dict]:
    """Validate owner references; return them as the server stores them (sorted by name).

    Raises:
        ApiError: 400 wrong owner type or a team that is not a Group, 404 unknown id.
    """
    result = []
    for owner in owners or []:
        owner_type = owner.get("type")
        if owner_type not in ("user", "team"):
            raise _api_error(
                400,
                f"Entity of type {owner_type} can't be the owner. Only Team of type Group or a User can own entities.",
            )
        entity = store.get_by_id(owner_type, owner["id"])
        if entity.get("deleted"):
            raise _api_error(404, f"{owner_type} instance for {owner['id']} not found")
        if owner_type == "team" and entity.get("teamType") != "Group":
            raise _api_error(
                400,
                f"Team of type {entity.get('teamType')} can't own entities. Only Team of type Group can own entities.",
            )
        result.append(store.reference(owner_type, entity))
    return sorted(result, key=lambda r: r["name"])


def check_tags(store, labels: list[dict] | None) -> list[dict]:
    """Validate tag labels and fill in the tag's common fields (TagLabelUtil).

    Raises:
        ApiError: 404 unknown tag or glossary term, 400 mutually exclusive labels.
    """
    from metadata.utils import fqn as fqn_utils

    result, by_parent = [], {}
    for label in labels or []:
        tag_fqn = label.get("tagFQN")
        type_name = "glossaryTerm" if label.get("source") == "Glossary" else "tag"
        tag_id = store.fqn_index[type_name].get(tag_fqn)
        tag = store.by_id[type_name].get(tag_id) if tag_id else None
        if tag is None or tag.get("deleted"):
            raise _api_error(404, f"{type_name} instance for {tag_fqn} not found")
        enriched = {k: v for k, v in label.items() if k not in ("name", "displayName", "description", "style")}
        for name in ("name", "displayName", "description", "style"):
            if tag.get(name) is not None:
                enriched[name] = tag[name]
        parent_fqn = ".".join(fqn_utils.quote_name(p) for p in fqn_utils.split(tag_fqn)[:-1])
        stored = by_parent.get(parent_fqn)
        by_parent[parent_fqn] = enriched
        if stored is not None and stored["tagFQN"] != tag_fqn and _mutually_exclusive(store, tag):
            raise _api_error(
                400,
                f"Tag labels {stored['tagFQN']} and {tag_fqn} are mutually exclusive and can't be assigned together",
            )
        if all(r["tagFQN"] != tag_fqn for r in result):
            result.append(enriched)
    return sorted(result, key=lambda r: r["tagFQN"])


def _mutually_exclusive(store, tag: dict) -> bool:
    if "glossary" in tag:  # a glossary term: its parent term, else its glossary
        parent = tag.get("parent") or tag["glossary"]
        type_name = "glossaryTerm" if tag.get("parent") else "glossary"
        return bool(store.by_id[type_name].get(parent.get("id"), {}).get("mutuallyExclusive"))
    parent = tag.get("parent") or tag.get("classification") or {}
    type_name = "tag" if tag.get("parent") else "classification"
    entity = store.by_id[type_name].get(parent.get("id"), {})
    return bool(entity.get("mutuallyExclusive"))
