"""What the file readers raise for a file that is not what its name says — bytes that are not
UTF-8 in a CSV, a CSV pandas cannot parse or that is empty, an ``.xlsx`` that is not a workbook,
a ``.parquet`` without Parquet's structure: the one list the faces' file readers catch around
the reading alone, to refuse such a file as bad input (docs/SECURITY.md) instead of a traceback
(``batch/io.readable`` for portfolios, ``library/cases/importing.read_table`` for case files)."""
from __future__ import annotations

__all__ = ["reader_errors"]


def reader_errors() -> tuple[type[BaseException], ...]:
    """``UnicodeDecodeError``, pandas' ``ParserError`` and ``EmptyDataError`` and Arrow's
    ``ArrowInvalid`` are ``ValueError``s; a text named ``.xlsx`` raises calamine's error or a
    ``BadZipFile``."""
    import zipfile

    from python_calamine import CalamineError

    return (ValueError, zipfile.BadZipFile, CalamineError)
