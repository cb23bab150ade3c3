"""Shared pytest configuration.

Its presence puts ``tests/`` on ``sys.path`` (pytest's default "prepend" import mode inserts the directory of a
rootdir-level conftest), so test modules can import shared helpers such as ``helpers_chainladder``.
"""
