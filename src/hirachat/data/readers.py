"""Read HIRA downloads into raw grids: CSV (UTF-8, UTF-8 BOM, CP949/EUC-KR, CRLF), XLSX portal exports and
legacy ``.xls`` (BIFF) workbooks.

A reader only finds the text: encoding, delimiter, sheets, merged cells, title rows above the header,
the stack of header rows (a row of periods such as 2021 / 2022 counts as a header row), footnote rows
below the data. It never interprets values; ``layout`` reads the header stack and ``normalize`` the cells.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hirachat.errors import InputFileError

MAX_HEADER_SCAN = 30
_NUMERIC = re.compile(r"^\s*[-+−]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?\s*%?\s*$")
# a period written as a column label: 2021, 2021년, 2021년도, 2021년 1분기, 2021.01, 2018년 01월, 2021Q1
PERIOD_TOKEN = re.compile(
    r"^\s*((?:19|20)\d{2})\s*(?:년도?)?\s*"
    r"(?:[.\-/]?\s*(0?[1-9]|1[0-2])\s*월?|(\d)\s*/?\s*4?\s*분기|[Qq]\s*([1-4])|([1-4])\s*[Qq])?\s*(?:\.0)?\s*$"
)
_NOTE = re.compile(r"^\s*(※|\*|주\s*[):：]|자료\s*[:：]|출처\s*[:：]|단위\s*[:：]|비고)")


@dataclass
class RawGrid:
    """One table as text cells, with where every data row came from."""

    path: Path
    sheet: str | None  # None for CSV
    encoding: str | None  # None for XLSX
    header: list[str]  # one name per column; multi-row headers joined with "|"
    rows: list[list[str | None]]
    row_numbers: list[int]  # 1-based line/row number in the file for each data row
    title: str | None = None  # title lines above the header (unit, period)
    notes: list[str] = field(default_factory=list)  # footnote rows (※ ...)
    blank_rows: int = 0
    portal_layout: bool = False  # title row above the header: a portal (OLAP) export
    skipped: list[str] = field(default_factory=list)  # other sheets of the workbook that hold no table
    header_rows: list[list[str | None]] = field(default_factory=list)  # the header stack, top first, as read
    sheets: int = 1  # sheets of the workbook that hold a table (1 for CSV)
    note_rows: int = 0  # footnote rows below or inside the data (※ …), kept in ``notes``


def is_numeric_text(v: str | None) -> bool:
    return v is not None and bool(_NUMERIC.match(v))


def _clean(v: object) -> str | None:
    if v is None:
        return None
    s = (str(int(v)) if v.is_integer() else repr(v)) if isinstance(v, float) else str(v)
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ")
    return s if s.strip() else None


def decode_bytes(data: bytes, path: Path, encodings: list[str]) -> tuple[str, str]:
    """Decode a CSV file; returns (text, encoding name). UTF-8 with BOM is reported as utf-8-sig."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8"] + [e for e in encodings if e.replace("-sig", "") != "utf-8"]
    problems = []
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            # a download cut inside its last character: keep what decodes, the cut row is quarantined later
            if len(data) - exc.start <= 3 and exc.reason in (
                "unexpected end of data",
                "incomplete multibyte sequence",
            ):
                return data[: exc.start].decode(enc), enc
            line = data.count(b"\n", 0, exc.start) + 1
            problems.append(f"{enc}: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})")
        except LookupError as exc:
            raise InputFileError(f"{path}: unknown encoding {enc!r} in config data.encodings") from exc
    raise InputFileError(f"{path}: cannot decode as {', '.join(candidates)} ({'; '.join(problems)})")


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:20] if ln.strip()]
    best, best_score = ",", -1
    for d in (",", "\t", ";", "|"):
        counts = [ln.count(d) for ln in lines]
        if not counts or max(counts) == 0:
            continue
        score = sum(1 for c in counts if c == max(counts))
        if score > best_score:
            best, best_score = d, score
    return best


def _looks_like_header(cells: list[str | None]) -> bool:
    filled = [c for c in cells if c is not None]
    # a merged title spread over the row has one distinct value: it is a title, not a header
    if len(set(filled)) < 2:
        return False
    return sum(1 for c in filled if not is_numeric_text(c)) / len(filled) > 0.5


def _has_numbers(cells: list[str | None]) -> bool:
    return any(is_numeric_text(c) for c in cells)


def is_period_token(v: str | None) -> bool:
    return v is not None and bool(PERIOD_TOKEN.match(v))


def _is_period_row(cells: list[str | None]) -> bool:
    """A header row of periods (진료년도 | 2021 | | 2022 |): every number in it is a period, at least two
    distinct periods, increasing from left to right."""
    filled = [c for c in cells if c is not None]
    periods = [c for c in filled if is_period_token(c)]
    if len(set(periods)) < 2 or any(is_numeric_text(c) and not is_period_token(c) for c in filled):
        return False
    keys = [re.sub(r"\D", "", p).ljust(6, "0") for p in dict.fromkeys(periods)]
    return keys == sorted(keys)


def _is_note(cells: list[str | None]) -> bool:
    filled = [c for c in cells if c is not None]
    return len(filled) == 1 and bool(_NOTE.match(filled[0]))


def _frame(
    path: Path, sheet: str | None, encoding: str | None, lines: list[tuple[int, list[str | None]]]
) -> RawGrid:
    """Find title, header (possibly several rows), data rows and notes in a list of numbered rows."""
    content = [(n, r) for n, r in lines if any(c is not None for c in r)]
    blank = len(lines) - len(content)
    if not content:
        raise InputFileError(f"{path}{'' if sheet is None else f' [{sheet}]'}: no data (empty file or sheet)")
    head_at = None
    for i, (_, cells) in enumerate(content[:MAX_HEADER_SCAN]):
        if _looks_like_header(cells) or _is_period_row(cells):
            head_at = i
            break
    if head_at is None:
        raise InputFileError(
            f"{path}{'' if sheet is None else f' [{sheet}]'}: no header row found in the first "
            f"{MAX_HEADER_SCAN} non-blank rows (expected column names such as 진료년도, 시도, 환자수)"
        )
    title_lines = [" ".join(dict.fromkeys(c for c in cells if c)) for _, cells in content[:head_at]]
    header_rows = [content[head_at][1]]
    j = head_at + 1
    # continuation rows of a multi-row header: text and periods only, no other numbers
    while j < len(content) - 1 and (
        (not _has_numbers(content[j][1]) and _looks_like_header_cont(content[j][1]))
        or _is_period_row(content[j][1])
    ):
        header_rows.append(content[j][1])
        j += 1
    width = max(len(r) for r in header_rows)
    header = []
    for col in range(width):
        parts: list[str] = []
        for hr in header_rows:
            v = hr[col] if col < len(hr) else None
            if v is not None and (not parts or parts[-1] != v.strip()):
                parts.append(v.strip())
        header.append("|".join(parts) if parts else "")
    rows, numbers, notes = [], [], []
    for n, cells in content[j:]:
        if _is_note(cells):
            notes.append(next(c for c in cells if c is not None))
            continue
        rows.append(cells)
        numbers.append(n)
    return RawGrid(
        path=path,
        sheet=sheet,
        encoding=encoding,
        header=header,
        rows=rows,
        row_numbers=numbers,
        title=" ".join(title_lines) or None,
        notes=notes,
        blank_rows=blank,
        portal_layout=bool(title_lines),
        header_rows=[list(r) + [None] * (width - len(r)) for r in header_rows],
        note_rows=len(notes),
    )


_CODEISH = re.compile(r"^[A-Za-z]{0,3}\d{2,}")


def _looks_like_header_cont(cells: list[str | None]) -> bool:
    """A second header row (merged cells below the first): text only, no numbers and no codes (J20, a row
    of a code master, is data)."""
    filled = [c for c in cells if c is not None]
    return (
        len(filled) >= 1
        and all(not is_numeric_text(c) and not _CODEISH.match(c) for c in filled)
        and not _is_note(cells)
    )


def read_csv(path: Path, encodings: list[str]) -> tuple[RawGrid, str]:
    data = path.read_bytes()
    if not data.strip():
        raise InputFileError(f"{path}: empty file")
    if b"\x00" in data[:4096]:
        raise InputFileError(f"{path}: binary content (NUL bytes): not a CSV text file")
    text, enc = decode_bytes(data, path, encodings)
    # normalise the whole text once (NFC, no-break spaces) rather than cell by cell
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    delim = _sniff_delimiter(text[:8192])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    lines: list[tuple[int, list[str | None]]] = []
    try:
        start = 1
        for row in reader:
            lines.append((start, [c if c and not c.isspace() else None for c in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputFileError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from exc
    grid = _frame(path, None, enc, lines)
    return grid, enc


# Bounds for any workbook: a sheet may declare a range far larger than its data (A1:XFD1048576).
EMPTY_RUN_STOP = 1_000  # this many empty rows in a row end a sheet's data
MAX_COLUMNS = 1_000  # a row's non-empty cells beyond this column are refused (named error)
MAX_CELLS = 20_000_000  # rows × used columns read from one sheet
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _merged(path: Path, member: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges of one sheet (min_row, min_col, max_row, max_col), read from its XML in chunks."""
    import zipfile

    out: list[tuple[int, int, int, int]] = []
    tail = b""
    with zipfile.ZipFile(path) as z, z.open(member) as fh:
        while chunk := fh.read(1 << 20):
            buf = tail + chunk
            cut = buf.rfind(b"<")
            scan, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            for m in _MERGE.finditer(scan):
                out.append((int(m.group(2)), _col(m.group(1)), int(m.group(4)), _col(m.group(3))))
        for m in _MERGE.finditer(tail):
            out.append((int(m.group(2)), _col(m.group(1)), int(m.group(4)), _col(m.group(3))))
    return out


def _sheet_rows(path: Path, ws: Any) -> list[list[str | None]]:
    """A sheet's rows in streaming mode, trimmed to their data: stops after a long run of empty rows,
    refuses a grid beyond the column and cell limits with the file, sheet and limit named."""
    rows: list[list[str | None]] = []
    empty = 0
    used = 0
    ws.reset_dimensions()  # the declared range (A1:XFD1048576) is not the data: read the cells there are
    for row in ws.iter_rows(values_only=True):
        cells = [_clean(v) for v in row]
        last = max((k for k, c in enumerate(cells) if c is not None), default=-1)
        if last < 0:
            empty += 1
            if empty >= EMPTY_RUN_STOP:
                break
            rows.append([])
            continue
        if last >= MAX_COLUMNS:
            raise InputFileError(
                f"{path} [{ws.title}]: row {len(rows) + 1} has data in column {last + 1}, beyond the limit "
                f"of {MAX_COLUMNS} columns: not a statistics table or code master"
            )
        empty = 0
        used = max(used, last + 1)
        rows.append(cells[: last + 1])
        if len(rows) * used > MAX_CELLS:
            raise InputFileError(
                f"{path} [{ws.title}]: more than {MAX_CELLS:,} cells ({len(rows):,} rows × {used} columns); "
                "split the workbook or export it as CSV"
            )
    while rows and not rows[-1]:
        rows.pop()
    return [r + [None] * (used - len(r)) for r in rows]


def read_xlsx(path: Path) -> list[RawGrid]:
    """Every sheet of a workbook that holds a table, in streaming mode (bounded memory and time whatever
    range the sheet declares), merged cells filled from their top-left cell. A sheet with no table (a
    guide, notes) is skipped and said in ``skipped``; every sheet failing is an error."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable XLSX workbook ({exc})") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends from a truncated download
        raise InputFileError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from exc
    grids: list[RawGrid] = []
    skipped: list[str] = []
    try:
        for ws in wb.worksheets:
            cells = _sheet_rows(path, ws)
            if not any(any(c is not None for c in r) for r in cells):
                continue
            merges = _merged(path, ws._worksheet_path)  # type: ignore[attr-defined]
            _add_sheet(
                path, ws.title, cells, [(r0 - 1, r1, c0 - 1, c1) for r0, c0, r1, c1 in merges], grids, skipped
            )
    finally:
        wb.close()
    return _workbook(path, grids, skipped)


def _add_sheet(
    path: Path,
    name: str,
    cells: list[list[str | None]],
    merges: list[tuple[int, int, int, int]],
    grids: list[RawGrid],
    skipped: list[str],
) -> None:
    """One sheet's cells, merged ranges (first row, row after the last, first column, column after the
    last; 0-based) filled from their top-left cell, framed as a grid; a sheet holding no table is noted."""
    for r0, r1, c0, c1 in merges:
        if r0 >= len(cells) or c0 >= len(cells[r0]):
            continue
        top = cells[r0][c0]
        for r in range(r0, min(r1, len(cells))):
            for c in range(c0, min(c1, len(cells[r]))):
                cells[r][c] = top
    try:
        grids.append(_frame(path, name, None, [(i + 1, r) for i, r in enumerate(cells)]))
    except InputFileError as exc:
        skipped.append(f"[{name}] {bounded(str(exc).split(': ', 1)[-1])}")


def _workbook(path: Path, grids: list[RawGrid], skipped: list[str]) -> list[RawGrid]:
    if not grids:
        raise InputFileError(
            f"{path}: no sheet holds a table" + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    grids[0].skipped = skipped
    for g in grids:
        g.sheets = len(grids)
    return grids


def read_xls(path: Path) -> list[RawGrid]:
    """A legacy BIFF workbook (the portal's ``.xls`` downloads), with the same bounds as XLSX: every sheet
    that holds a table, merged cells filled from their top-left cell, numbers as numbers, text as text."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises its own XLRDError, struct errors and others on damaged files
        try:  # some portal .xls files carry no formatting records: read them without merged cells
            book = xlrd.open_workbook(str(path), on_demand=True)
        except Exception:
            raise InputFileError(
                f"{path}: not a readable .xls workbook ({type(exc).__name__}: {exc})"
            ) from exc
    grids: list[RawGrid] = []
    skipped: list[str] = []
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            if sh.nrows * max(1, sh.ncols) > MAX_CELLS:
                raise InputFileError(
                    f"{path} [{sh.name}]: more than {MAX_CELLS:,} cells ({sh.nrows:,} rows × {sh.ncols} "
                    "columns); split the workbook or export it as CSV"
                )
            used = min(sh.ncols, MAX_COLUMNS)
            cells: list[list[str | None]] = []
            for r in range(sh.nrows):
                row = [_xls_cell(sh.cell(r, c), book.datemode) for c in range(used)]
                if sh.ncols > MAX_COLUMNS and any(
                    sh.cell_value(r, c) not in ("", None) for c in range(MAX_COLUMNS, sh.ncols)
                ):
                    raise InputFileError(
                        f"{path} [{sh.name}]: row {r + 1} has data beyond the limit of {MAX_COLUMNS} columns: "
                        "not a statistics table or code master"
                    )
                cells.append(row)
            while cells and not any(c is not None for c in cells[-1]):
                cells.pop()
            if cells:
                _add_sheet(path, sh.name, cells, list(getattr(sh, "merged_cells", []) or []), grids, skipped)
            book.unload_sheet(idx)
    finally:
        book.release_resources()
    return _workbook(path, grids, skipped)


def _xls_cell(cell: Any, datemode: int) -> str | None:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return _clean(xlrd.xldate.xldate_as_datetime(cell.value, datemode).date().isoformat())
        except (ValueError, OverflowError):
            return _clean(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    return _clean(cell.value)


def bounded(text: str, limit: int = 300) -> str:
    """One line of a message, at most ``limit`` characters ('… N more characters')."""
    line = " ".join(text.split())
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line) - limit:,} more characters)"


def read_any(path: Path, encodings: list[str]) -> list[RawGrid]:
    """Dispatch on content, not only on the extension: a renamed file still reads or fails clearly."""
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if not path.is_file():
        raise InputFileError(f"{path}: not a file")
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK\x03\x04"):
        return read_xlsx(path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return read_xls(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        raise InputFileError(
            f"{path}: has an .xlsx name but is not a ZIP workbook (truncated or mislabelled)"
        )
    grid, _ = read_csv(path, encodings)
    return [grid]
