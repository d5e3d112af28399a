"""moto server for the tests, applying one request at a time.

DynamoDB runs each transaction and conditional write atomically. moto's threaded server does not:
two TransactWriteItems in different threads can both pass their conditions before either writes
(seen here: two of twenty concurrent creates "won" one order). Serialising requests restores the
guarantee the real service gives, while connections are still accepted on many threads.

moto backs up a table before each item of a transaction (a deep copy of the whole table, once per
item): a transaction of ten items on a table of a few hundred costs seconds. Here each table is
copied once per transaction, which keeps the same rollback.

Usage: python infra/moto_server.py HOST PORT
"""

import copy
import os
import sys
import threading
import types

import moto.dynamodb.models as dynamodb_models

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


def copy_each_table_once():
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        copies = {}

        def deepcopy_once(value, memo=None):
            if id(value) not in copies:
                copies[id(value)] = copy.deepcopy(value, memo)
            return copies[id(value)]

        # Requests run one at a time (above), so swapping the module's `copy` for one call is safe.
        dynamodb_models.copy = types.SimpleNamespace(deepcopy=deepcopy_once)
        try:
            return original(self, transact_items)
        finally:
            dynamodb_models.copy = copy

    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items


def main():
    copy_each_table_once()
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneRequestAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
