"""Test definitions a fresh OpenMetadata server seeds, for the ones the pagila checks use.

Transcribed (the fields the workflows and the server's checks read) from the server's seed data
``openmetadata-service/src/main/resources/json/data/tests/<name>.json`` in
open-metadata/OpenMetadata, one stored version each (the index keeps one version per file):

=========================== ==========================================
definition                  commit
=========================== ==========================================
columnValuesToBeUnique      01450e133c4d6f1ed18b6395a8c5c8594691c2b7
columnValuesToBeNotNull     14a7774b90886e4c813bf1028fa087563831efcb
columnValuesToBeBetween     03b2af102148bb90ddac16fc5542ef014f94fc8a
columnValuesToBeInSet       05e9b61b6c3f3183cf60dfec1e0bdab96de2c4db
columnValueMaxToBeBetween   24475073c5ed849dd2eec4c6ad077acc75ed7f3b
tableRowCountToBeBetween    0bbddde1aa2451ac52fb04ab2874d32daf515218
tableColumnCountToEqual     1536aba703dd5edaa03bd0540dc45d1db9ebc60b
=========================== ==========================================

Descriptions are shortened; names, entity types, platforms, data types and parameter
definitions (names, types, ``required``, validation rules) are the seed's. The four stored
column versions predate ``validatorClass``/``enabled``/``provider``; the 2.0 seeds carry them
(as the three newer stored versions show), and the 2.0.6 client imports the validator class
named there (``<Name>Validator``, e.g. ``ColumnValuesToBeUniqueValidator`` in
``metadata.data_quality.validations.column.base``): :func:`_with_validator` fills them in so.
"""

from __future__ import annotations

_ALL_TYPES = (
    "NUMBER TINYINT SMALLINT INT BIGINT BYTEINT BYTES FLOAT DOUBLE DECIMAL NUMERIC TIMESTAMP TIMESTAMPZ TIME DATE "
    "DATETIME INTERVAL STRING MEDIUMTEXT TEXT CHAR VARCHAR BOOLEAN BINARY VARBINARY ARRAY BLOB LONGBLOB MEDIUMBLOB "
    "MAP STRUCT UNION SET GEOGRAPHY ENUM JSON UUID VARIANT GEOMETRY POINT POLYGON"
).split()
_NUMERIC = ["NUMBER", "INT", "FLOAT", "DOUBLE", "DECIMAL", "TINYINT", "SMALLINT", "BIGINT", "BYTEINT"]
_THRESHOLD = [
    {"name": "threshold", "displayName": "Failure Threshold", "dataType": "NUMBER", "required": False},
    {
        "name": "thresholdUnit",
        "displayName": "Threshold Unit",
        "dataType": "STRING",
        "required": False,
        "optionValues": ["ABSOLUTE", "PERCENTAGE"],
    },
]


def _between(low: str, high: str, data_type: str = "INT") -> list[dict]:
    return [
        {
            "name": low,
            "displayName": "Min",
            "dataType": data_type,
            "validationRule": {"parameterField": high, "rule": "LESS_THAN_OR_EQUALS"},
        },
        {
            "name": high,
            "displayName": "Max",
            "dataType": data_type,
            "validationRule": {"parameterField": low, "rule": "GREATER_THAN_OR_EQUALS"},
        },
    ]


def _with_validator(definition: dict) -> dict:
    name = definition["name"]
    return {
        "provider": "system",
        "enabled": True,
        "validatorClass": f"{name[0].upper()}{name[1:]}Validator",
        **definition,
    }


_SEEDS: list[dict] = [
    {
        "name": "columnValuesToBeUnique",
        "displayName": "Column Values To Be Unique",
        "description": "Test the values in a column to be unique.",
        "entityType": "COLUMN",
        "testPlatforms": ["OpenMetadata"],
        "supportedDataTypes": _ALL_TYPES,
    },
    {
        "name": "columnValuesToBeNotNull",
        "displayName": "Column Values To Be Not Null",
        "description": "Test the number of values in a column are null. Empty strings don't count as null.",
        "entityType": "COLUMN",
        "testPlatforms": ["OpenMetadata"],
        "supportedDataTypes": _ALL_TYPES,
        "supportsRowLevelPassedFailed": True,
    },
    {
        "name": "columnValuesToBeBetween",
        "displayName": "Column Values To Be Between",
        "description": "Test the values in a column to be between minimum and maximum value.",
        "entityType": "COLUMN",
        "testPlatforms": ["OpenMetadata"],
        "supportedDataTypes": _NUMERIC,
        "parameterDefinition": [
            {"name": "minValue", "displayName": "Min", "dataType": "INT"},
            {"name": "maxValue", "displayName": "Max", "dataType": "INT"},
        ],
    },
    {
        "name": "columnValuesToBeInSet",
        "displayName": "Column Values To Be In Set",
        "description": "Test the column values are in the set.",
        "entityType": "COLUMN",
        "testPlatforms": ["OpenMetadata"],
        "supportedDataTypes": [*_NUMERIC, "BYTES", "STRING", "MEDIUMTEXT", "TEXT", "CHAR", "VARCHAR"],
        "parameterDefinition": [
            {"name": "allowedValues", "displayName": "Allowed Values", "dataType": "ARRAY", "required": True}
        ],
        "supportsRowLevelPassedFailed": True,
    },
    {
        "name": "columnValueMaxToBeBetween",
        "displayName": "Column Value Max. To Be Between",
        "description": "Test the maximum value in a col is within a range.",
        "entityType": "COLUMN",
        "testPlatforms": ["OpenMetadata", "dbt"],
        "supportedDataTypes": _NUMERIC,
        "parameterDefinition": [
            *_between("minValueForMaxInCol", "maxValueForMaxInCol"),
            *_THRESHOLD,
            {
                "name": "dimensionFailurePolicy",
                "displayName": "Dimension Failure Policy",
                "dataType": "STRING",
                "required": False,
                "optionValues": ["OVERALL_ONLY", "ANY_DIMENSION"],
            },
        ],
        "supportsDynamicAssertion": True,
        "provider": "system",
        "enabled": True,
        "dataQualityDimension": "Accuracy",
        "validatorClass": "ColumnValueMaxToBeBetweenValidator",
    },
    {
        "name": "tableRowCountToBeBetween",
        "displayName": "Table Row Count To Be Between",
        "description": "Test the number of rows to between to two values.",
        "entityType": "TABLE",
        "testPlatforms": ["OpenMetadata"],
        "parameterDefinition": [*_between("minValue", "maxValue"), *_THRESHOLD],
        "supportsDynamicAssertion": True,
        "provider": "system",
        "enabled": True,
        "dataQualityDimension": "Integrity",
        "validatorClass": "TableRowCountToBeBetweenValidator",
    },
    {
        "name": "tableColumnCountToEqual",
        "displayName": "Table Column Count To Equal",
        "description": "Test the number of columns equal to a value.",
        "entityType": "TABLE",
        "testPlatforms": ["OpenMetadata"],
        "parameterDefinition": [
            {"name": "columnCount", "displayName": "Count", "dataType": "INT", "required": True},
            *_THRESHOLD,
        ],
        "provider": "system",
        "enabled": True,
        "dataQualityDimension": "Integrity",
        "validatorClass": "TableColumnCountToEqualValidator",
    },
]

TEST_DEFINITIONS: list[dict] = [_with_validator(d) for d in _SEEDS]
