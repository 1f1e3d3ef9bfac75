"""Batch-checking CSV files: streaming, in input order, on local processes or a Dask cluster (see `runner`).

csvfiles   reading the input (header, delimiter, byte-order mark, rows with their lines) and safe output cells
judge      one row: cells in, output cells and what the summary and the depletion pass need out
runner     the run: chunks, workers, input order, depletion, checkpoints and resume, the summary
"""

from engine.batch.csvfiles import OUTPUT_COLUMNS, BatchInputError
from engine.batch.judge import FileFacts, Judge, RowResult
from engine.batch.runner import BatchOptions, Interrupted, Summary, run_batch

__all__ = [
    "OUTPUT_COLUMNS",
    "BatchInputError",
    "BatchOptions",
    "FileFacts",
    "Interrupted",
    "Judge",
    "RowResult",
    "Summary",
    "run_batch",
]
