"""Secrets Manager's `GenerateSecretString`, done locally: a random string of the asked length and kind."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from typing import Any

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """A password per `spec` (PasswordLength, Exclude*, IncludeSpace, RequireEachIncludedType), or the
    JSON `SecretStringTemplate` with the password under `GenerateStringKey`, as CloudFormation does."""
    length = int(spec.get("PasswordLength", 32))
    excluded = set(spec.get("ExcludeCharacters", ""))
    classes = [
        "".join(char for char in characters if char not in excluded)
        for characters, exclude_flag in (
            (string.ascii_lowercase, "ExcludeLowercase"),
            (string.ascii_uppercase, "ExcludeUppercase"),
            (string.digits, "ExcludeNumbers"),
            (_PUNCTUATION, "ExcludePunctuation"),
        )
        if not spec.get(exclude_flag, False)
    ]
    if spec.get("IncludeSpace", False):
        classes.append(" ")
    classes = [characters for characters in classes if characters]
    if not classes:
        raise ValueError("GenerateSecretString excludes every character")

    alphabet = "".join(classes)
    password = [secrets.choice(alphabet) for _ in range(length)]
    if spec.get("RequireEachIncludedType", True) and length >= len(classes):
        positions = secrets.SystemRandom().sample(range(length), len(classes))
        for position, characters in zip(positions, classes, strict=True):
            password[position] = secrets.choice(characters)
    generated = "".join(password)

    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = generated
        return json.dumps(document)
    return generated
