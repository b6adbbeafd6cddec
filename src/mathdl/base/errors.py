"""The one exception type users see: a fault in their input, printed as one line (exit code 2)."""


class MathdlError(Exception):
    """Bad input or a fault the user can fix; the CLI prints ``mathdl: error: <message>`` and exits 2."""


class DataError(MathdlError):
    """A data file or directory that is missing, malformed or not what it claims to be."""


class DivergenceError(MathdlError):
    """Training produced a non-finite cost (NaN or inf)."""


def choice(kind: str, name: str, table: dict):
    """Look ``name`` up in ``table``; an unknown name is an error that lists the valid choices."""
    try:
        return table[name]
    except (KeyError, TypeError):
        raise MathdlError(f"unknown {kind} {name!r}; choose from {', '.join(table)}") from None
