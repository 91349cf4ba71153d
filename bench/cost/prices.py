"""The one price table: us-east-1 list prices, each with its source and the date it was checked."""

from __future__ import annotations

from dataclasses import dataclass

CHECKED = "2026-12-05"

LAMBDA = "https://aws.amazon.com/lambda/pricing/"
APIGW = "https://aws.amazon.com/api-gateway/pricing/"
DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
S3 = "https://aws.amazon.com/s3/pricing/"
SQS = "https://aws.amazon.com/sqs/pricing/"
CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
XRAY = "https://aws.amazon.com/xray/pricing/"
SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
KMS = "https://aws.amazon.com/kms/pricing/"
GEMINI = "https://ai.google.dev/gemini-api/docs/pricing"
OPENAI = "https://platform.openai.com/docs/pricing"
BFL = "https://docs.bfl.ml/quick_start/pricing"


@dataclass(frozen=True)
class Price:
    key: str
    service: str
    item: str
    unit: str  # what ``usd`` buys
    usd: float
    per: float  # how many units of quantity ``usd`` is for (1, 1,000, 1,000,000 ...)
    source: str
    checked: str = CHECKED
    free: float = 0.0  # the always-free allowance a month, in quantity units (--free-tier)
    note: str = ""


# fmt: off
PRICES: tuple[Price, ...] = (
    Price("lambda.gb_s", "Lambda", "compute, arm64", "GB-second", 0.0000133334, 1, LAMBDA, free=400_000),
    Price("lambda.requests", "Lambda", "requests", "1M requests", 0.20, 1e6, LAMBDA, free=1e6),
    Price("lambda.init_gb_s", "Lambda", "INIT at cold starts, arm64", "GB-second", 0.0000133334, 1, LAMBDA,
          note="INIT is billed like invocations for zip functions on managed runtimes since 2025-08-01"),
    Price("lambda.snapstart_cache", "Lambda", "SnapStart cache (Python)", "GB-second cached",
          0.0000015046, 1, LAMBDA, note="per published version with SnapStart, all month (3 h minimum)"),
    Price("lambda.snapstart_restore", "Lambda", "SnapStart restore (Python)", "GB restored",
          0.0001397998, 1, LAMBDA),
    Price("apigw.requests", "API Gateway", "HTTP API requests", "1M requests", 1.00, 1e6, APIGW,
          note="first 300M a month; each 512 KB of request or response counts as one request"),
    Price("dynamodb.rru", "DynamoDB", "on-demand read request units", "1M RRU", 0.125, 1e6, DYNAMODB,
          note="on-demand throughput halved on 2024-11-01 (RRU $0.25 -> $0.125, WRU $1.25 -> $0.625)"),
    Price("dynamodb.wru", "DynamoDB", "on-demand write request units", "1M WRU", 0.625, 1e6, DYNAMODB),
    Price("dynamodb.storage", "DynamoDB", "storage (Standard class)", "GB-month", 0.25, 1, DYNAMODB, free=25),
    Price("dynamodb.pitr", "DynamoDB", "point-in-time recovery", "GB-month", 0.20, 1, DYNAMODB),
    Price("s3.storage", "S3", "Standard storage", "GB-month", 0.023, 1, S3, note="first 50 TB a month"),
    Price("s3.put", "S3", "PUT, COPY, POST, LIST", "1,000 requests", 0.005, 1_000, S3),
    Price("s3.get", "S3", "GET and other reads", "1,000 requests", 0.0004, 1_000, S3),
    Price("transfer.out", "Data transfer", "out to the internet", "GB", 0.09, 1, S3, free=100,
          note="first 10 TB a month, after the 100 GB a month free (all services together)"),
    Price("sqs.requests", "SQS", "standard queue requests", "1M requests", 0.40, 1e6, SQS, free=1e6,
          note="each 64 KB chunk of a payload is one request"),
    Price("logs.ingest", "CloudWatch", "Logs ingestion (Standard)", "GB", 0.50, 1, CLOUDWATCH, free=5,
          note="Lambda's logs are tiered since 2025-05-01: $0.50/GB is the first 10 TB"),
    Price("logs.storage", "CloudWatch", "Logs storage (archived)", "GB-month", 0.03, 1, CLOUDWATCH, free=5),
    Price("cloudwatch.metrics", "CloudWatch", "custom metrics (EMF)", "metric-month", 0.30, 1, CLOUDWATCH,
          free=10),
    Price("cloudwatch.alarms", "CloudWatch", "standard alarms", "alarm-month", 0.10, 1, CLOUDWATCH, free=10),
    Price("xray.traces", "X-Ray", "traces recorded", "1M traces", 5.00, 1e6, XRAY, free=100_000),
    Price("secrets.secrets", "Secrets Manager", "secrets", "secret-month", 0.40, 1, SECRETS),
    Price("secrets.api", "Secrets Manager", "API calls", "10,000 calls", 0.05, 10_000, SECRETS),
    Price("kms.requests", "KMS", "requests to AWS managed keys", "10,000 requests", 0.03, 10_000, KMS,
          free=20_000, note="AWS managed keys (aws/dynamodb, aws/ssm, ...) have no monthly fee"),
    # Provider list prices per image (the 1024 px class, standard tier): fees, not AWS.
    Price("model:google/gemini-2.5-flash-image", "Google", "Gemini 2.5 Flash Image", "image", 0.039, 1,
          GEMINI),
    Price("model:google/gemini-3.1-flash-image-preview", "Google", "Gemini 3.1 Flash Image preview, 1K",
          "image", 0.067, 1, GEMINI, note="unsure: a preview's price ($60 per 1M image output tokens)"),
    Price("model:google/gemini-3-pro-image", "Google", "Gemini 3 Pro Image preview, 1K/2K", "image", 0.134,
          1, GEMINI),
    Price("model:openai/gpt-5-nano", "OpenAI", "image tool as gpt-image-1-mini, medium, 1024 px", "image",
          0.011, 1, OPENAI, note="unsure: the request names no image model or quality, the tool's defaults"
          " decide (gpt-image-1 medium is $0.042, high $0.167); gpt-5-nano's tokens add < $0.001"),
    Price("model:bfl/flux-kontext-max", "Black Forest Labs", "FLUX.1 Kontext [max]", "image", 0.08, 1, BFL),
)
# fmt: on
PRICE = {price.key: price for price in PRICES}
