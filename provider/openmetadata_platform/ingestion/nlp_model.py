"""The spaCy model OpenMetadata's PII classification loads, checked before the workflow starts.

``metadata.pii.algorithms.presidio_utils.load_nlp_engine`` loads the model of the configured
classification language (``metadata.pii.constants.LANGUAGE_MODEL_MAPPING``: English is
``en_core_web_md``) with ``spacy.load``, and downloads it from the internet when it is
missing. This module finds out whether it is installed the way ``spacy.load`` looks for it
(``spacy.util.is_package``: an installed distribution of that name), without importing spaCy
or openmetadata-ingestion, so the task fails in a second with the fix instead of hanging.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

from openmetadata_platform.ingestion.workflow_config import IngestionConfigError

# metadata.pii.constants.LANGUAGE_MODEL_MAPPING for the languages the operator accepts
# (a test compares it with the installed package).
LANGUAGE_MODELS = {"en": "en_core_web_md", "any": "en_core_web_md"}
BUILD_ARG = "SPACY_MODEL_PACKAGE"


def missing_model_message(model: str) -> str:
    """The instruction for a missing model (names the image build arg and the README command)."""
    return (
        f"spaCy model {model!r} is not installed in this Airflow image; OpenMetadata's PII "
        f"classification needs it and must not download it at run time. Build the platform's "
        f"Airflow image with --build-arg {BUILD_ARG}=<pip requirement or wheel URL of {model} on "
        f"your mirror>, or install it into the environment: pip install <wheel URL of {model}> "
        f"(README: 'PII classification model')"
    )


def check_model(language: str = "en") -> str:
    """Return the model name for ``language`` if it is installed, else raise.

    Raises:
        IngestionConfigError: the language has no model here, or the model is not installed
            (the message says how to install it).
    """
    model = LANGUAGE_MODELS.get(language)
    if model is None:
        raise IngestionConfigError(
            f"classification_language={language!r}: expected one of {', '.join(sorted(LANGUAGE_MODELS))}"
        )
    try:
        importlib.metadata.distribution(model)
    except importlib.metadata.PackageNotFoundError:
        raise IngestionConfigError(missing_model_message(model)) from None
    if importlib.util.find_spec(model) is None:
        raise IngestionConfigError(
            f"spaCy model {model!r} has package metadata but no importable module: reinstall it. "
            + missing_model_message(model)
        )
    return model
