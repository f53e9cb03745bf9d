"""Limits on the size and shape of input: one place, documented in docs/limits.md.

A model file is input from outside (the tool runs in CI on pull requests from
anyone), so every dimension that could make the tool slow, hungry or recurse
without bound has a ceiling here. Each is far above what a real study needs;
going over one is a positioned error (code in brackets), never a crash or a hang.
"""

from __future__ import annotations

# A model file, in bytes [E004]. The largest generated benchmark systems
# (tens of thousands of processes) are a few MiB.
MAX_FILE_BYTES = 32 * 1024 * 1024

# Parentheses open at once in one expression [E005]. Blocks `{ }` cannot nest
# in the grammar, so this is the only nesting a file can have.
MAX_PAREN_DEPTH = 50

# Characters of one expression (an amount, a parameter value, a claim) [E006].
MAX_EXPRESSION_LENGTH = 4000

# Operations nested in one expression [E007]: `1 + 2 + 3` is 2 deep, `-(-(1))` too.
# Code that walks expressions (formatter, diff) may then recurse safely.
MAX_EXPRESSION_DEPTH = 200

# Characters of one number as written [E008]: `1e-3`, `0.58962`.
MAX_NUMBER_LENGTH = 100

# The exponent of `^` [E306]: `m^3`, `kg^-1`; larger powers are no unit anyone writes.
MAX_EXPONENT = 12

# Processes in a model with all its imports [E106].
MAX_PROCESSES = 100_000

# Files in one import chain, the top model being depth 0 [E104].
MAX_IMPORT_DEPTH = 16

# Problems reported for one model [E107]: the builder stops collecting there (each
# unknown name costs a search for the nearest known one: 5,000 of them took minutes).
MAX_DIAGNOSTICS = 100

# Files loaded for one model, counting a file each time it is imported under
# another name [E105]: stops an import "diamond" from loading 2^16 files.
MAX_IMPORTED_FILES = 1000

# An inventory table read by `pcf import` [E601]: a CSV file, or any one part of an .xlsx
# workbook once unzipped (a workbook is a zip archive: a few kilobytes can unzip to gigabytes).
MAX_TABLE_BYTES = 32 * 1024 * 1024

# Cells of an inventory table [E601], empty ones counted as the file lists them: a row of
# 1,000 commas is 1,000 cells, and a sheet row is as wide as its last cell.
MAX_TABLE_CELLS = 1_000_000
