"""moto server for the tests, applying one request at a time.

DynamoDB runs each transaction and conditional write atomically. moto's threaded server does not:
two TransactWriteItems in different threads can both pass their conditions before either writes
(seen here: two of twenty concurrent creates "won" one order). Serialising requests restores the
guarantee the real service gives, while connections are still accepted on many threads.

Usage: python infra/moto_server.py HOST PORT
"""

import os
import sys
import threading

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


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, OneRequestAtATime(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
