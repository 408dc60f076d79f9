"""Input conventions shared by riskkit's scikit-learn estimators.

riskkit estimators work on pandas DataFrames and pick their columns *by name* (an applicant
table may carry more columns than a model uses). They also accept what scikit-learn passes
around: numpy arrays (2-d), lists of rows and read-only memory maps. An array's columns are
named ``x0, x1, ...`` (scikit-learn's names for unnamed features, the ones
``get_feature_names_out`` reports), or take the fitted names when the model was fitted on a
DataFrame.

Targets follow scikit-learn's binary classification convention: any two labels, sorted into
``classes_``; ``classes_[1]`` is the bad (default) class, so 0/1 targets keep 1 = bad.

Fitted attributes follow scikit-learn: ``n_features_in_`` always, ``feature_names_in_`` only
when ``fit`` saw string column names.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from riskkit._validation import check_fitted, short_repr
from riskkit.exceptions import DataError

__all__ = ["as_fit_frame", "as_predict_frame", "encode_binary_target"]


def _reject_unusable(X: Any, name: str) -> None:
    if sparse.issparse(X):
        raise DataError(
            f"{name} is a sparse matrix (got {type(X).__name__}); riskkit estimators need dense "
            "input: pass X.toarray() or a DataFrame"
        )
    if X is None:
        raise DataError(f"{name} is None; pass a DataFrame or a 2-d array of features")


def _array_frame(X: Any, name: str, columns: list[str] | None) -> pd.DataFrame:
    """A 2-d array-like as a DataFrame with string columns (``x0, x1, ...`` by default)."""
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} cannot be read as a 2-d array ({exc}); pass a DataFrame") from None
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be 2-d (got an array of shape {arr.shape}); Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or array.reshape(1, -1) "
            "if it contains a single sample"
        )
    if np.iscomplexobj(arr):
        raise DataError(
            f"Complex data not supported: {name} has dtype {arr.dtype}; pass real numbers"
        )
    names = columns if columns is not None else [f"x{i}" for i in range(arr.shape[1])]
    frame = pd.DataFrame(arr, columns=names)
    if arr.dtype == object:
        frame = frame.infer_objects()  # numbers held as objects become numeric columns again
    return frame


def as_fit_frame(estimator: Any, X: Any, name: str = "X") -> pd.DataFrame:
    """The training input as a DataFrame; sets ``n_features_in_`` and ``feature_names_in_``.

    Parameters
    ----------
    estimator : object
        The estimator being fitted; receives the two attributes.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Training features. Arrays get the columns ``x0, x1, ...``.
    name : str, default "X"
        Argument name used in error messages.

    Returns
    -------
    DataFrame
        ``X`` itself when it is a DataFrame, else a new DataFrame over the array.

    Raises
    ------
    DataError
        Sparse, complex, None or not 2-d input.
    """
    _reject_unusable(X, name)
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if isinstance(X, pd.DataFrame):
        frame = X
        if _named(frame, name):
            estimator.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        else:
            frame = frame.set_axis([f"x{i}" for i in range(frame.shape[1])], axis=1)
            if hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        if any(pd.api.types.is_complex_dtype(t) for t in frame.dtypes):
            raise DataError(f"Complex data not supported: {name} has complex columns; pass real numbers")
    else:
        frame = _array_frame(X, name, None)
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    _check_has_features(frame, name)
    estimator.n_features_in_ = int(frame.shape[1])
    return frame


def _named(frame: pd.DataFrame, name: str) -> bool:
    """True when every column name is a string, False when none is (positional columns)."""
    text = [isinstance(c, str) for c in frame.columns]
    if all(text):
        return True
    if not any(text):
        return False
    raise DataError(
        f"{name} column names must be strings (got {short_repr([c for c in frame.columns if not isinstance(c, str)])} "
        "among string names); rename them, e.g. X.columns = X.columns.astype(str)"
    )


def _check_has_features(frame: pd.DataFrame, name: str) -> None:
    if frame.shape[1] == 0:
        raise DataError(
            f"{name} has 0 feature(s) (shape={frame.shape}) while a minimum of 1 is required; "
            "pass at least one column"
        )


def as_predict_frame(estimator: Any, X: Any, fitted_attribute: str, name: str = "X") -> pd.DataFrame:
    """The input of ``predict``/``transform`` as a DataFrame whose columns match the fit.

    A DataFrame passes through (columns are then looked up by name). An array must have
    ``n_features_in_`` columns, taken in the fitted order; when the estimator was fitted on a
    DataFrame this warns, as scikit-learn does, that ``X`` has no feature names.

    Parameters
    ----------
    estimator : object
        A fitted estimator.
    X : DataFrame or array-like of shape (n_samples, n_features)
        Features to score.
    fitted_attribute : str
        Attribute that exists only once the estimator is fitted.
    name : str, default "X"
        Argument name used in error messages.

    Returns
    -------
    DataFrame

    Raises
    ------
    NotFittedError
        The estimator is not fitted.
    DataError
        Sparse, complex or not 2-d input, or an array with the wrong number of columns.
    """
    check_fitted(estimator, fitted_attribute)
    _reject_unusable(X, name)
    if isinstance(X, pd.Series):
        X = X.to_frame()
    names = getattr(estimator, "feature_names_in_", None)
    if isinstance(X, pd.DataFrame):
        positional = [f"x{i}" for i in range(estimator.n_features_in_)]
        if _named(X, name):
            if names is not None or X.shape[1] != len(positional) or set(positional) <= set(X.columns):
                return X  # looked up by name
            warnings.warn(
                f"X has feature names, but {type(estimator).__name__} was fitted without feature "
                "names; columns are taken in the fitted order",
                UserWarning,
                stacklevel=3,
            )
            return X.set_axis(positional, axis=1)
        if X.shape[1] != estimator.n_features_in_:
            return X  # a positional frame of the wrong width fails on the names
        return X.set_axis([str(n) for n in names] if names is not None else positional, axis=1)
    X = np.asarray(X)
    arr_shape = X.shape
    expected = int(estimator.n_features_in_)
    if len(arr_shape) == 2 and arr_shape[1] != expected:
        raise DataError(
            f"X has {arr_shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{expected} features as input; pass the columns used in fit, in the same order"
        )
    frame = _array_frame(X, name, None if names is None else [str(n) for n in names])
    if names is not None:
        warnings.warn(
            f"X does not have valid feature names, but {type(estimator).__name__} was fitted "
            "with feature names; columns are taken in the fitted order",
            UserWarning,
            stacklevel=3,
        )
    return frame


def encode_binary_target(y: Any, name: str = "y", *, estimator: str = "the estimator") -> tuple[np.ndarray, np.ndarray]:
    """Two-class target as ``(classes, codes)``: ``codes`` is 0/1 with 1 = ``classes[1]`` = bad.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Two labels (0/1 with 1 = bad, booleans, or any two sortable labels, the greater being
        bad). A column vector is accepted with scikit-learn's ``DataConversionWarning``.
    name : str, default "y"
        Argument name used in error messages.
    estimator : str
        Estimator name used in error messages.

    Returns
    -------
    classes : ndarray of shape (2,)
        The sorted labels.
    codes : ndarray of int8, shape (n_samples,)
        0 for ``classes[0]`` (good), 1 for ``classes[1]`` (bad).

    Raises
    ------
    DataError
        ``y`` is None, empty, has missing values, is continuous, or has other than two classes.
    """
    if y is None:
        raise DataError(
            f"{estimator} requires y to be passed, but the target y is None; pass the 0/1 target "
            "(1 = bad)"
        )
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = column_or_1d(arr, warn=True)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional (got shape {arr.shape}); y should be a 1d array")
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass one 0/1 label per row")
    if arr.dtype.kind in "biu":  # 0/1 integers or booleans with both classes: no sort needed
        low, high = arr.min(), arr.max()
        if low == 0 and high == 1:
            return np.array([low, high], dtype=arr.dtype), arr.astype(np.int8)
    if pd.isna(arr).any() if arr.dtype == object else (
            np.issubdtype(arr.dtype, np.floating) and np.isnan(arr).any()):
        n = int(pd.isna(arr).sum())
        raise DataError(f"{name} has {n} missing values; drop those rows or impute the label")
    kind = type_of_target(arr, input_name=name)
    if kind not in ("binary", "multiclass"):
        raise DataError(
            f"Unknown label type: {kind!r}. {name} must hold two classes, 0 = good and 1 = bad "
            f"(got values such as {short_repr(list(pd.unique(arr))[:3])}); map the target to 0/1"
        )
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.size > 2:
        raise DataError(
            f"Only binary classification is supported: {name} must be binary 0/1 with 1 = bad "
            f"(got {classes.size} classes, values {short_repr(classes.tolist())}); map the target "
            "to 0 = good, 1 = bad"
        )
    if classes.size < 2:
        raise DataError(
            f"{name} has one class only (got only {classes.tolist()}); a model needs both goods "
            "(0) and bads (1)"
        )
    return classes, codes.astype(np.int8)
