"""CSV that a spreadsheet cannot run (OWASP: CSV injection), for every CSV the app writes.

A cell that starts with =, +, -, @, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets (=HYPERLINK(...) sends data away);
such a cell gets a leading apostrophe, which the spreadsheet shows as text.
A number (a change of -6 points) is written as it is: it cannot be a formula.
"""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_row(writer, row):
    writer.writerow([cell(v) for v in row])


def to_csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    write_row(writer, header)
    for row in rows:
        write_row(writer, row)
    return buffer.getvalue()
