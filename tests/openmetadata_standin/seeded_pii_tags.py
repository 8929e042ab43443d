"""The ``PII`` classification and its tags with recognizers, as a fresh OpenMetadata 2.0 seeds them.

Transcribed from the server's seed data
``openmetadata-service/src/main/resources/json/data/tags/piiTagsWithRecognizers.json`` in
open-metadata/OpenMetadata @ 23917795b2658f7f8892bd99d0b22bf008031136 (loaded at start-up by
``ClassificationRepository``/``TagRepository.initSeedDataFromResources``). Kept: the
classification (mutually exclusive, auto-classification enabled), the three tags with their
priorities, and the recognizers that matter for a relational catalog in English: dates, phone
numbers, URLs, credit cards, US SSNs, e-mail addresses, IBANs, IP addresses, the spaCy
PERSON/LOCATION recognizers and the column-name patterns. Left out: the language-specific
national identifiers (Spanish, Italian, Polish, Indian, Australian, Singaporean, Finnish, UK)
and the crypto/medical-licence recognizers; descriptions are shortened.

The stand-in does NOT seed these at start: other suites rely on an empty tag store. A test
that needs a fresh server's PII tags calls :func:`seed_pii_classification`.
"""

from __future__ import annotations

_FLAGS = {"dotAll": True, "multiline": True, "ignoreCase": True}


def _predefined(name: str, display: str, recognizer: str, context: list[str] | None = None, **config) -> dict:
    recognizer_config = {"type": "predefined", "name": recognizer, **config}
    if context:
        recognizer_config["context"] = context
    return {
        "name": name,
        "displayName": display,
        "description": f"{display} (predefined Presidio recognizer).",
        "enabled": True,
        "isSystemDefault": True,
        "recognizerConfig": recognizer_config,
        "confidenceThreshold": 0.6,
        "target": "content",
    }


def _column_name(name: str, display: str, *regexes: str) -> dict:
    return {
        "name": name,
        "displayName": display,
        "description": "A regex recognizer for column names",
        "enabled": True,
        "isSystemDefault": True,
        "recognizerConfig": {
            "type": "pattern",
            "supportedLanguage": "en",
            "patterns": [
                {"name": f"{name}_pattern_{i}", "regex": regex, "score": 0.6} for i, regex in enumerate(regexes)
            ],
            "regexFlags": _FLAGS,
            "context": [],
        },
        "confidenceThreshold": 0.6,
        "target": "column_name",
    }


CLASSIFICATION = {
    "name": "PII",
    "description": "Personally Identifiable Information that, when used alone or with other relevant data, "
    "can identify an individual.",
    "provider": "system",
    "mutuallyExclusive": True,
    "autoClassificationConfig": {
        "enabled": True,
        "conflictResolution": "highest_priority",
        "minimumConfidence": 0.6,
        "requireExplicitMatch": True,
    },
}

TAGS = [
    {"name": "None", "description": "Non PII", "autoClassificationEnabled": False, "autoClassificationPriority": 0},
    {
        "name": "NonSensitive",
        "description": "PII which is easily accessible from public sources and can include zip code, race, "
        "gender, and date of birth.",
        "autoClassificationEnabled": True,
        "autoClassificationPriority": 50,
        "recognizers": [
            _predefined("DateRecognizer", "Date Recognizer", "DateRecognizer"),
            _predefined(
                "PhoneRecognizer",
                "Phone Recognizer",
                "PhoneRecognizer",
                ["phone", "telephone", "cell", "cellphone", "mobile", "call"],
            ),
            _predefined("UrlRecognizer", "Url Recognizer", "UrlRecognizer"),
            _predefined(
                "SpacyRecognizer",
                "Recognizer using spaCy NLP model",
                "SpacyRecognizer",
                ["city", "county", "region", "province", "state", "street_address", "street", "address", "date"],
                supportedEntities=["DATE_TIME", "NRP", "LOCATION"],
            ),
            _column_name("date_time", "Date time column name", "^.*(date|time|dob|birthday|dod).*$"),
            _column_name("nrp", "Nrp column name", "^.*(gender|nationality).*$"),
            _column_name(
                "location",
                "Location column name",
                "^.*(address|city|state|county|country|zipcode|zip|postal|zone|borough).*$",
            ),
            _column_name("phone_number", "Phone number column name", "^.*(phone).*$"),
        ],
    },
    {
        "name": "Sensitive",
        "description": "PII which if lost, compromised, or disclosed without authorization, could result in "
        "substantial harm, embarrassment, inconvenience, or unfairness to an individual.",
        "autoClassificationEnabled": True,
        "autoClassificationPriority": 100,
        "recognizers": [
            _predefined(
                "EnglishCreditCardRecognizer",
                "English Credit Card Recognizer",
                "CreditCardRecognizer",
                ["credit", "card", "visa", "mastercard", "cc", "amex", "cc_number", "card_number", "payment_info"],
                supportedLanguage="en",
            ),
            _predefined(
                "UsSsnRecognizer",
                "Us Ssn Recognizer",
                "UsSsnRecognizer",
                ["social", "security", "ssn", "ssns", "ssid", "national_id", "id_number"],
                supportedLanguage="en",
            ),
            _predefined("EmailRecognizer", "Email Recognizer", "EmailRecognizer"),
            _predefined("IbanRecognizer", "Iban Recognizer", "IbanRecognizer"),
            _predefined("IpRecognizer", "Ip Recognizer", "IpRecognizer"),
            _predefined(
                "SpacyRecognizer",
                "Recognizer using spaCy NLP model",
                "SpacyRecognizer",
                ["name", "first_name", "last_name", "given_name", "firstName", "lastName", "familyName"],
                supportedEntities=["PERSON"],
            ),
            _column_name("us_ssn", "US SSN column name", "^.*(ssn|social).*$"),
            _column_name("credit_card", "Credit card column name", "^.*(credit).*(card).*$"),
            _column_name("email_address", "Email address column name", "^(email|e-mail|mail)(.*address)?$"),
            _column_name("person", "Person column name", "^.*(user|client|person|first|last|maiden|nick).*(name).*$"),
        ],
    },
]


def seed_pii_classification(server) -> None:
    """Create the seeded ``PII`` classification and its tags in the stand-in, as the admin.

    Goes through the stand-in's own routes (``PUT /classifications``, ``PUT /tags``), so the
    bodies are validated with ``CreateClassificationRequest``/``CreateTagRequest``.

    Raises:
        AssertionError: the stand-in refused a seed (its answer is in the message).
    """
    status, answer = server.call("PUT", "/classifications", CLASSIFICATION)
    assert status in (200, 201), answer
    for tag in TAGS:
        status, answer = server.call("PUT", "/tags", {**tag, "classification": "PII", "provider": "system"})
        assert status in (200, 201), answer
