"""CWMB's exceptions. Every message names the problem and the fix, on one line."""

from __future__ import annotations


class CWMBError(Exception):
    """Base class of every error CWMB raises on purpose."""


class UnknownEnvironment(CWMBError, KeyError):
    """An environment id that is not one of the 18 (the message lists them)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DatasetError(CWMBError):
    """Missing, corrupt or mismatched dataset files (the message names the file)."""


class UnsafePickle(CWMBError):
    """A pickle asked for a class outside the importer's allow-list; nothing was executed."""


class PublishError(CWMBError):
    """Publishing to the Hugging Face Hub failed (no token, no network, or a refused upload)."""
