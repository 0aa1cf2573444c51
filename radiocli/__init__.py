"""radiocli: broadcast scheduling toolkit for community loudspeaker radio.

The package is laid out as the pipeline, arrows pointing forward only:

    schedule -> plan -> render -> play -> aslog -> report

`trust` (signed approval bundles) sits beside `schedule`; `cli` wraps it all.
Core packages never import click or rich and never read the environment.
"""

__version__ = "0.1.0"
TIMEZONE = "Asia/Ho_Chi_Minh"
