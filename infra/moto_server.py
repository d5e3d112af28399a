"""moto server for the tests, applying one request at a time.

DynamoDB runs each transaction and conditional write atomically. moto's threaded server does not:
two TransactWriteItems in different threads can both pass their conditions before either writes
(seen here: two of twenty concurrent creates "won" one order). Serialising requests restores the
guarantee the real service gives, while connections are still accepted on many threads.

moto backs up a table before each item of a transaction (a deep copy of the whole table, once per
item): a transaction of ten items on a table of a few hundred costs seconds, and on a loaded CI
machine a create answered 503 after its attempts timed out. Here only the items a transaction
names are kept, which gives the same rollback.

Usage: python infra/moto_server.py HOST PORT
"""

import copy
import os
import sys
import threading
import types

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


class OneRequestAtATime:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            # The whole body is produced inside the lock: moto builds it in memory anyway.
            return list(self.app(environ, start_response))


def undo_only_what_a_transaction_touched():
    """moto keeps a deep copy of each table a transaction names, to put back if it is cancelled.
    Requests run one at a time here, so keeping the few items it names is enough: the copy is
    skipped and, on cancellation, those items (and the table's stream) are put back as they were."""
    original = dynamodb_models.DynamoDBBackend.transact_write_items
    # Only the whole-table backups are skipped; an updated item is still copied for its old image.
    no_copy = types.SimpleNamespace(
        deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo)
    )

    def touched(backend, transact_items):
        kept = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op["Item"] if op_type == "Put" else op.get("Key", {})
            if table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in key:
                    continue
                range_value = DynamoType(key[table.range_key_attr])
            before = table.get_item(hash_value, range_value)
            kept.append((table, hash_value, range_value, copy.deepcopy(before)))
        return kept

    def put_back(kept, streams):
        for table, hash_value, range_value, before in reversed(kept):
            if before is None:
                table.delete_item(hash_value, range_value)
            elif range_value is not None:
                table.items[hash_value][range_value] = before
            else:
                table.items[hash_value] = before
        for shard, length in streams:
            del shard.items[length:]

    def transact_write_items(self, transact_items):
        kept = touched(self, transact_items)
        shards = {id(t.stream_shard): t.stream_shard for t, *_ in kept if t.stream_shard is not None}
        streams = [(shard, len(shard.items)) for shard in shards.values()]
        dynamodb_models.copy = no_copy
        try:
            return original(self, transact_items)
        except Exception:
            put_back(kept, streams)
            raise
        finally:
            dynamodb_models.copy = copy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def main():
    undo_only_what_a_transaction_touched()
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneRequestAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
