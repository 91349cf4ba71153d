"""What a month of Galleria costs on AWS (us-east-1) for a workload, line by line.

The AWS calls, DynamoDB request units, response and log bytes and warm handler seconds of each
operation are measured in-process against moto by bench/aws_calls_per_operation.py (its table's
rows and its ``workload_rows``), with Powertools logging at the template's LogLevel and metrics on,
stdout counted (measure.py). Memory sizes, SnapStart, tracing, log retention, alarms, queues' event
sources and the tables' encryption come from template.yaml (template_facts.py). Prices are one
table (prices.py), each row with its source and the date it was checked; a ``~`` marks a quantity
that rests on an estimate (estimates.py).

A generation is the API call, the status polls the web app makes while it waits, the worker (its
own time: the model's latency is not in it) and a read of each image made; a gallery read is a list
page and the thumbnails it shows through their media links; a share view is the public page and
its image; an export is the request, the worker, the status polls and the ZIP's download
(invocations.py). ledger.py prices them into the month's bill (bill.py); comparisons.py prices the
template's choices side by side; text_report.py and json_report.py print it all.

    .venv/bin/python -m bench.cost [--generations 10000] [--gallery-reads 100000]
        [--share-views 50000] [--stored-gb 100] [--exports 200] [--snapstart on|off]
        [--api-tracing Active|PassThrough] [--log-retention-days 30] [--images-per-generation 1]
        [--image-mb 1.5] [--json] ...
"""
