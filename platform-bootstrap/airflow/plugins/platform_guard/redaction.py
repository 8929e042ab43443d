"""Keep the credentials the OpenMetadata server sends out of every log the managed APIs write.

openmetadata-managed-apis logs whole request bodies when a call fails, e.g.
``openmetadata_managed_apis/api/routes/deploy.py``: ``logger.error(f"Internal error deploying
[{json_request}] ...")``. A deploy body carries the ingestion bot's JWT
(``openMetadataServerConnection.securityConfig.jwtToken``) and a Test Connection body
(``run_automation``) the source's password. Those lines go to the api-server's output and to
``$AIRFLOW_HOME/logs/openmetadata_airflow_api.log`` (``utils/logger.py build_logger``).

Airflow's own secrets masker does the redaction (:class:`airflow._shared.secrets_masker
.SecretsMasker`, the filter Airflow puts on task logs): :func:`mask_request_secrets` registers
every sensitive value of a request body with it before the route runs, and
:func:`install` puts it on the managed APIs' loggers, the guard's and the api-server's root
handlers. A value is sensitive when its key is, by Airflow's rule
(``should_hide_value_for_key``: ``password``, ``token``, ``secret``, ... and
``[core] sensitive_var_conn_names``) or by :data:`EXTRA_SENSITIVE_KEYS`; everything under
``securityConfig`` is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from airflow._shared.secrets_masker import SecretsMasker, _secrets_masker

# The loggers openmetadata-managed-apis writes with (utils/logger.py Loggers), and the guard's.
MANAGED_API_LOGGERS = (
    "AirflowAPIRoutes",
    "AirflowAPI",
    "AirflowOperations",
    "AirflowWorkflow",
    "AirflowUtils",
    "managed_apis_guard",
)
# Keys of OpenMetadata connection configs that hold secrets without Airflow's words in their
# name (lower case, non-word characters as "_", as should_hide_value_for_key compares them).
EXTRA_SENSITIVE_KEYS = ("privatekey", "private_key", "sslkey", "keytab", "credentials", "securityconfig")


class ManagedApisSecretsMasker(SecretsMasker):
    """Airflow's masker, always on for the records it filters.

    ``SecretsMasker.mask_secrets_in_logs`` is a class flag Airflow turns on only in task and
    triggerer processes; this subclass turns it on for itself alone, so the api-server's other
    logs are unchanged.
    """

    mask_secrets_in_logs = True


_masker: ManagedApisSecretsMasker | None = None


def masker() -> ManagedApisSecretsMasker:
    """The process's masker, configured like Airflow's own (``airflow.settings
    ._configure_secrets_masker``: sensitive names, minimum length, adapter)."""
    global _masker
    if _masker is None:
        core = _secrets_masker()
        _masker = ManagedApisSecretsMasker()
        _masker.sensitive_variables_fields = [*core.sensitive_variables_fields, *EXTRA_SENSITIVE_KEYS]
        _masker.min_length_to_mask = core.min_length_to_mask
        _masker.secret_mask_adapter = core.secret_mask_adapter
    return _masker


def _secret_values(value: object, sensitive: bool, is_sensitive) -> Iterable[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _secret_values(item, sensitive or is_sensitive(str(key)), is_sensitive)
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item, sensitive, is_sensitive)
    elif sensitive and isinstance(value, str) and value:
        yield value


def mask_request_secrets(body: object) -> int:
    """Register every sensitive string of ``body`` with the masker; return how many.

    Args:
        body: a parsed JSON request body (dicts, lists, scalars), e.g. an ``IngestionPipeline``
            or an automations ``Workflow``.
    """
    current = masker()
    values = list(_secret_values(body, False, current.should_hide_value_for_key))
    for value in values:
        current.add_mask(value)
    return len(values)


def install() -> None:
    """Put the masker on the managed APIs' and the guard's loggers and on the root handlers.

    A logger's filter rewrites the record before any handler sees it (its own file handler and,
    by propagation, the api-server's output); the root handlers' filter also covers what other
    libraries log during a route (openmetadata-ingestion's own loggers). Idempotent.
    """
    current = masker()
    for name in MANAGED_API_LOGGERS:
        logger = logging.getLogger(name)
        if current not in logger.filters:
            logger.addFilter(current)
    for handler in logging.getLogger().handlers:
        if current not in handler.filters:
            handler.addFilter(current)
