"""The operator's CLI: a thin layer over the library.

Each command builds `ChatSeal` and calls one method.
"""
