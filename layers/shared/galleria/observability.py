"""What operators see of the business: metrics, and the correlation id a job carries.

Metrics join the invocation's Powertools metric set (every ``Metrics()`` shares it), and the
handler's ``@metrics.log_metrics`` publishes them as one EMF document when the invocation ends.
Callers record a fact only once it is committed, so a refused or rolled-back charge counts nothing.

The correlation id is the API request's id (``requestContext.requestId``): the job's queue message
carries it, and the worker logs under it, so one id finds a request's and its job's log lines.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.exceptions import OrphanedChildLoggerError
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit


def images_generated(count: int) -> None:
    """A generation job finished having stored ``count`` images (zero when all failed)."""
    _function_metrics().add_metric(name="ImagesGenerated", unit=MetricUnit.Count, value=count)


def credits_charged(credits: int) -> None:
    """Credits reserved for an accepted job (derived images cost none: nothing to count)."""
    if credits:
        _function_metrics().add_metric(name="CreditsCharged", unit=MetricUnit.Count, value=credits)


def credits_refunded(credits: int) -> None:
    """Credits given back for images a job did not make."""
    if credits:
        _function_metrics().add_metric(name="CreditsRefunded", unit=MetricUnit.Count, value=credits)


def export_bytes(size: int) -> None:
    """The size of a finished export's ZIP."""
    _function_metrics().add_metric(name="ExportBytes", unit=MetricUnit.Bytes, value=size)


def provider_failures(provider: str, count: int) -> None:
    """``count`` calls to ``provider`` failed in one job run.

    Published at once as a document of its own: a ``provider`` dimension on the shared set would
    apply to every other metric of the invocation too.
    """
    if not count:
        return
    failures = EphemeralMetrics()
    failures.add_dimension(name="provider", value=provider)
    failures.add_metric(name="ProviderFailures", unit=MetricUnit.Count, value=count)
    failures.flush_metrics()


def current_correlation_id() -> str | None:
    """The correlation id the function's log lines carry now; None outside a Lambda handler."""
    try:
        return _function_logger().get_correlation_id()
    except OrphanedChildLoggerError:  # no handler's Logger: the layer used by a script
        return None


def follow_correlation_id(correlation_id: str) -> None:
    """Log what follows under ``correlation_id`` (a worker, for the job it is about to run)."""
    _function_logger().set_correlation_id(correlation_id)


def _function_metrics() -> Metrics:
    """The invocation's shared metric set, under the namespace of the environment now.

    Made per call for the same reason as the logger below: made at import, before
    ``POWERTOOLS_METRICS_NAMESPACE`` is set, it would have no namespace, and the flush Powertools
    makes by itself at 100 values would then fail the request that added the hundredth.
    """
    return Metrics()


def _function_logger() -> Logger:
    """A child of the handler's Logger, whose keys every log line of the function carries.

    Made per call, not at import: a child takes its parent's name (the service) from the
    environment when it is made, and this module may be imported before that is set.
    """
    return Logger(child=True)
