"""Kiwoom's TR catalog as data: one declarative spec per TR, read by both the fake and the client.

Each TR is described once, in ``specs/<family>.yaml``: its api-id, Korean name and URL
group; its request fields (required, allowed values, and the error code the live server
gives for a violation); its response fields and their wire encodings (``encoding.py``);
its list key and whether it pages; and where its facts come from. The fake validates
requests and encodes answers from it, the client builds and decodes requests from it, and
``python -m tr_catalog`` prints the reference table the README carries.

This package sits on the bottom floor beside ``krx``: it imports neither ``kiwoom`` nor
``fake_kiwoom``, so both can use it without the fake ever depending on the client.
"""

from tr_catalog.encoding import ENCODINGS, decode, encode, matches
from tr_catalog.model import CATALOG, Field, RequestField, TrDef, catalog_errors, load_catalog, request_errors

__all__ = [
    "CATALOG",
    "ENCODINGS",
    "Field",
    "RequestField",
    "TrDef",
    "catalog_errors",
    "decode",
    "encode",
    "load_catalog",
    "matches",
    "request_errors",
]
