"""The auto-classification workflow's config (``sourceConfig.config`` of type ``AutoClassification``).

OpenMetadata samples each table and scores every column against the recognizers of the tags in
classifications with auto-classification enabled (a fresh server: ``PII.Sensitive`` and
``PII.NonSensitive``), then PATCHes the winning tags onto the columns as suggested labels
(``tag-pii-processor``, what the server's own pipelines use:
``openmetadata_managed_apis.workflows.ingestion.auto_classification``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from openmetadata_platform.ingestion.nlp_model import LANGUAGE_MODELS
from openmetadata_platform.ingestion.table_filters import TableFilters
from openmetadata_platform.ingestion.workflow_config import WORKFLOW_TYPES, IngestionConfigError

MAX_SAMPLE_ROWS = 1000  # DatabaseServiceAutoClassificationPipeline: values above are capped


@dataclass(frozen=True)
class ClassificationOptions:
    """How columns are classified.

    Attributes:
        filters: which databases, schemas and tables are sampled.
        confidence: minimum score (0..100) for a tag to be applied (OpenMetadata's default 80).
        sample_rows: rows sampled per table (1..1000, default 50).
        store_sample_data: also store the sample rows in OpenMetadata (default no: the rows may
            hold the very data being classified).
        include_views: sample views too.
        language: recognizers' language (``en``; the spaCy model is chosen from it).
    """

    filters: TableFilters = field(default_factory=TableFilters)
    confidence: float = 80
    sample_rows: int = 50
    store_sample_data: bool = False
    include_views: bool = True
    language: str = "en"

    @classmethod
    def checked(
        cls,
        *,
        filters: TableFilters,
        confidence: float = 80,
        sample_rows: int = 50,
        store_sample_data: bool = False,
        include_views: bool = True,
        language: str = "en",
    ) -> ClassificationOptions:
        """Check every argument; return the options.

        Raises:
            IngestionConfigError: naming the argument and what was expected.
        """
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 100:
            raise IngestionConfigError(f"confidence={confidence!r}: expected a number between 0 and 100")
        if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or not 1 <= sample_rows <= MAX_SAMPLE_ROWS:
            raise IngestionConfigError(f"sample_rows={sample_rows!r}: expected a whole number between 1 and 1000")
        for name, value in (("store_sample_data", store_sample_data), ("include_views", include_views)):
            if not isinstance(value, bool):
                raise IngestionConfigError(f"{name}={value!r}: expected True or False")
        if language not in LANGUAGE_MODELS:
            raise IngestionConfigError(f"language={language!r}: expected one of {', '.join(sorted(LANGUAGE_MODELS))}")
        return cls(filters, confidence, sample_rows, store_sample_data, include_views, language)

    def as_config(self) -> dict:
        """``sourceConfig.config`` (``DatabaseServiceAutoClassificationPipeline``)."""
        return {
            "type": WORKFLOW_TYPES["auto_classification"],
            **self.filters.as_config(),
            "includeViews": self.include_views,
            "enableAutoClassification": True,
            "storeSampleData": self.store_sample_data,
            "confidence": self.confidence,
            "sampleDataCount": self.sample_rows,
            "classificationLanguage": self.language,
        }

    @staticmethod
    def steps() -> dict:
        return {
            "processor": {"type": "tag-pii-processor", "config": {}},
            "sink": {"type": "metadata-rest", "config": {}},
        }
