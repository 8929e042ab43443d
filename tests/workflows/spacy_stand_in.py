"""A small spaCy pipeline installed under the name OpenMetadata's PII processor loads.

What is real and what stands in, in the classification tests:

- REAL: spaCy itself (``spacy.load`` finds this package the way it finds any installed model:
  an installed distribution with that name, ``spacy.util.is_package``), Presidio's analyzer and
  its pattern recognizers (e-mail, phone, credit card, dates, URLs...), OpenMetadata's
  ``TagProcessor`` (recognizers from the server's tags, scoring, conflict resolution,
  confidence), the sampler reading pagila, and the sink's column-tag PATCH.
- STAND-IN: the statistical NER model ``en_core_web_md`` (43 MB, a download). This pipeline has
  a rule-based ``entity_ruler`` in its place that finds a few pagila first names as PERSON, so
  Presidio's spaCy recognizer has entities to work with; it is not a trained model.
"""

from __future__ import annotations

import json
from pathlib import Path

MODEL = "en_core_web_md"
VERSION = "3.8.0"
PERSONS = ("MARY", "PATRICIA", "LINDA", "BARBARA", "ELIZABETH", "JENNIFER", "MARIA", "SUSAN")


def build_model(root: Path) -> Path:
    """Write the pipeline as an installed package ``en_core_web_md`` under ``root``; return ``root``.

    Put ``root`` on ``sys.path`` (and ``PYTHONPATH`` for task processes) to "install" it.
    """
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner")
    ruler.add_patterns([{"label": "PERSON", "pattern": name} for name in PERSONS])
    nlp.meta.update(name=MODEL.removeprefix("en_"), version=VERSION, lang="en")
    package = root / MODEL
    package.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(package / f"{MODEL}-{VERSION}")
    (package / "meta.json").write_text(json.dumps(nlp.meta))
    (package / "__init__.py").write_text(
        "from spacy.util import load_model_from_init_py\n\n\n"
        "def load(**overrides):\n    return load_model_from_init_py(__file__, **overrides)\n"
    )
    dist_info = root / f"{MODEL}-{VERSION}.dist-info"
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {MODEL}\nVersion: {VERSION}\n")
    return root
