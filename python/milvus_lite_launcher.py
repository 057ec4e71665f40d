"""Start Milvus Lite (PyPI `milvus-lite` 3.x) for one data directory and serve it over gRPC.

milvus-rag's Node process runs this file as a child. Protocol, one JSON object per line on stdout:
  {"event": "ready", "port": N, "version": "3.x"}        the server answers on 127.0.0.1:N
  {"event": "error", "code": "...", "message": "..."}   startup failed; the process exits non-zero
The server stops when stdin reaches EOF (the parent died or closed it) or on SIGTERM/SIGINT, so a
crashed parent never leaves an orphan holding the data directory's lock.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading


def emit(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main() -> int:
    if len(sys.argv) < 2:
        emit(event="error", code="usage", message="usage: milvus_lite_launcher.py DATA_DIR [HOST]")
        return 2
    data_dir = os.path.abspath(sys.argv[1])
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"

    try:
        import milvus_lite
        from milvus_lite.adapter.grpc.server import start_server_in_thread
        from milvus_lite.exceptions import DataDirLockedError
    except ImportError as error:
        emit(event="error", code="missing", message=str(error))
        return 3

    if os.path.isfile(data_dir):
        emit(
            event="error",
            code="not-a-directory",
            message=f"{data_dir} is a file; Milvus Lite 3.x keeps its data in a directory "
            "(a file here was likely written by Milvus Lite 2.x)",
        )
        return 4

    try:
        server, db, port = start_server_in_thread(data_dir=data_dir, host=host, port=0)
    except DataDirLockedError as error:
        emit(event="error", code="locked", message=str(error))
        return 5
    except Exception as error:  # report any startup failure to the parent, then exit
        emit(event="error", code="startup", message=f"{type(error).__name__}: {error}")
        return 6

    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin() -> None:
        # read() returns only at EOF: the parent closed the pipe or died.
        try:
            sys.stdin.read()
        finally:
            stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    emit(event="ready", port=port, version=getattr(milvus_lite, "__version__", "unknown"))

    stop.wait()
    server.stop(grace=2).wait()
    db.close()  # releases the data directory's LOCK
    return 0


if __name__ == "__main__":
    sys.exit(main())
