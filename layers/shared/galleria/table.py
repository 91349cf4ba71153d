"""The base of the DynamoDB repositories: the table a repository reads and writes, and its typed
client (the process's cached one unless a test hands in its own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from galleria import aws
from galleria.config import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class TableRepository:
    """Subclasses name their table's setting in ``default_table``."""

    def __init__(self, table_name: str | None = None, client: DynamoDBClient | None = None) -> None:
        self.table = table_name or self.default_table(get_settings())
        self._client = client

    @staticmethod
    def default_table(settings: Settings) -> str:
        raise NotImplementedError

    @property
    def client(self) -> DynamoDBClient:
        return self._client or aws.client("dynamodb")
