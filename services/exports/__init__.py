"""CSV and Excel exports as background jobs, one module per part.

`jobs` records, reads, lists and purges them (what pages and the API call); `tables` holds the three
queries that produce their rows; `writers` turns those rows into CSV or Excel; `worker` is the
process pool and what runs in it. The names the rest of the app uses are re-exported here.
"""

from services.exports.jobs import (
    MAX_ACTIVE_PER_PERSON,
    MEDIA_TYPES,
    STALE_AFTER,
    ExportFile,
    ExportView,
    export_file,
    get_export,
    my_exports,
    purge_expired,
    request_export,
)
from services.exports.worker import configure, run_export, shutdown, submit

__all__ = [
    'MAX_ACTIVE_PER_PERSON',
    'MEDIA_TYPES',
    'STALE_AFTER',
    'ExportFile',
    'ExportView',
    'configure',
    'export_file',
    'get_export',
    'my_exports',
    'purge_expired',
    'request_export',
    'run_export',
    'shutdown',
    'submit',
]
