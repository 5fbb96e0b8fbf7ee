"""CSV and Excel exports as background jobs in a queue any instance works off, one module per part.

`jobs` records, reads, lists and purges them (what pages and the API call); `claims` is the queue in the job table
(claiming, leases, retries, hand-back); `runner` is each instance's thread that feeds claimed jobs to `pool`, the warm
worker processes; `worker` is what runs in them; `tables` holds the three queries that produce an export's rows and
`writers` turns those rows into CSV or Excel. The names the rest of the app uses are re-exported here.
"""

from services.exports.claims import FAILED_WORKER
from services.exports.jobs import (
    MAX_ACTIVE_PER_PERSON,
    MEDIA_TYPES,
    ExportFile,
    ExportView,
    export_file,
    get_export,
    my_exports,
    purge_expired,
    request_export,
)
from services.exports.runner import configure, shutdown, start, wake
from services.exports.worker import run_export

__all__ = [
    'FAILED_WORKER',
    'MAX_ACTIVE_PER_PERSON',
    'MEDIA_TYPES',
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
    'start',
    'wake',
]
