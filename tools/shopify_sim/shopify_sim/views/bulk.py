"""BulkOperation as the Admin API shows it."""

from __future__ import annotations

from typing import Any

from shopify_sim.clock import graphql_time
from shopify_sim.ids import gid
from shopify_sim.state.models import BulkOperation


def bulk_operation_node(operation: BulkOperation) -> dict[str, Any]:
    return {
        "__typename": "BulkOperation",
        "id": gid("BulkOperation", operation.id),
        "type": operation.type,
        "status": operation.status,
        "errorCode": operation.error_code,
        "createdAt": graphql_time(operation.created_at),
        "completedAt": graphql_time(operation.completed_at),
        # UnsignedInt64 is serialized as a string, as Shopify sends it.
        "objectCount": str(operation.object_count),
        "rootObjectCount": str(operation.root_object_count),
        "fileSize": str(operation.file_size) if operation.file_size is not None else None,
        "url": operation.url,
        "partialDataUrl": operation.partial_data_url,
        "query": operation.query,
    }
