"""Check digits of French identifiers, shared by the generator, the rules and the recognizers."""

from __future__ import annotations

import hashlib
import re

FINESS_PATTERN = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
REPORT_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")


def report_id_for(data: bytes) -> str:
    """Partition key of a report: first 16 hex characters of its sha256 (same bytes, same key)."""
    return report_id_from_sha256(hashlib.sha256(data).hexdigest())


def report_id_from_sha256(hexdigest: str) -> str:
    """The partition key of the file whose full sha256 is ``hexdigest`` (for hashes computed while streaming)."""
    return hexdigest[:16]


def sha256_of_file(path) -> str:
    """Streaming sha256 (report PDFs and model files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def luhn_checksum(digits: str) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10


def luhn_check_digit(partial: str) -> str:
    """The digit to append to ``partial`` so that the whole passes Luhn."""
    return str((10 - luhn_checksum(partial + "0")) % 10)


def is_luhn_valid(digits: str) -> bool:
    return digits.isdigit() and luhn_checksum(digits) == 0


def _finess_digits(finess: str) -> str:
    # Corsica: 2A and 2B count as 20 for the check digit (the ministry's convention).
    return finess[:1] + finess[1:2].replace("A", "0").replace("B", "0") + finess[2:]


def finess_with_check_digit(first_eight: str) -> str:
    return first_eight + luhn_check_digit(_finess_digits(first_eight + "0")[:-1])


def is_valid_finess(value: str) -> bool:
    return bool(FINESS_PATTERN.match(value)) and is_luhn_valid(_finess_digits(value))


_FINESS_TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9][0-9AB][0-9]{7}(?![0-9A-Za-z])")


def finess_numbers(text: str) -> list[str]:
    """Every FINESS number (check digit valid) written in ``text``, in order of first appearance: an
    establishment's identifier is public, so it can label a report in the UI."""
    return list(dict.fromkeys(m.group(0) for m in _FINESS_TOKEN.finditer(text) if is_valid_finess(m.group(0))))


def nir_key(first_thirteen: str) -> int:
    """NIR key = 97 - (13 digits mod 97), with 2A read as 19 and 2B as 18."""
    number = first_thirteen.upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(number) % 97


def is_valid_nir(value: str) -> bool:
    compact = re.sub(r"[\s.\-]", "", value).upper()
    if not re.fullmatch(r"[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}[0-9]{2}", compact):
        return False
    return nir_key(compact[:13]) == int(compact[13:])


def iban_is_valid(value: str) -> bool:
    compact = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    remainder = int("".join(str(int(c, 36)) for c in rearranged)) % 97
    return f"{98 - remainder:02d}"
