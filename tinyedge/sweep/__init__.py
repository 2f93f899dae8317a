"""Sweeps: the grid of widths × seeds through every pipeline stage, resumable, on a local
process pool or on Ray."""

from tinyedge.sweep.grid import BoardLink, Cell, Grid, load_board_map, load_grid
from tinyedge.sweep.runner import SweepResult, run_sweep, summary_lines

__all__ = ["BoardLink", "Cell", "Grid", "SweepResult", "load_board_map", "load_grid",
           "run_sweep", "summary_lines"]
